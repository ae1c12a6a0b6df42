import { useEffect, useRef, useState } from 'react';
import { newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Checkout, Payment, PaymentProviders } from '../api/types';
import { LanguageSwitch } from '../components/Layout';
import { ErrorView, Loading, Message } from '../components/ui';
import { useI18n, type Key } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { forget, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

type Channel = PaymentProviders['items'][number]['channels'][number];
type Where = 'wechat' | 'phone' | 'desktop';

/** Where the page runs decides the checkout: WeChat's own browser, another phone browser, or a computer. */
export function whereAmI(userAgent: string): Where {
  if (/MicroMessenger/i.test(userAgent)) return 'wechat';
  return /Mobi|Android|iPhone|iPad|HarmonyOS/i.test(userAgent) ? 'phone' : 'desktop';
}

/** The providers the storefront can name, in the order shown; any other is not offered. */
const NAMES: Record<string, Key> = { wechatpay: 'pay.wechatpay', alipay: 'pay.alipay', sandbox: 'pay.sandboxName' };

interface Option {
  provider: string;
  /** null: this provider cannot be paid where the page runs (the hint says what to do). */
  channel: Channel | null;
  hint?: Key;
}

/**
 * Each provider's checkout for this place. Inside WeChat, JSAPI needs the payer's openid, which the service
 * has no way to learn yet (no OAuth login), and WeChat refuses its H5 page there: WeChat Pay is its QR code
 * (another phone scans it) and the page says opening it in the browser pays at once. WeChat blocks Alipay's
 * pages: the buyer is told to open the page in the browser.
 */
export function optionsFor(providers: PaymentProviders['items'], where: Where): Option[] {
  const options: Option[] = [];
  for (const name of Object.keys(NAMES)) {
    const channels = providers.find((p) => p.name === name)?.channels ?? [];
    const offers = (c: Channel) => channels.includes(c);
    if (channels.length === 0) continue;
    if (name === 'sandbox') {
      if (offers('sheet')) options.push({ provider: name, channel: 'sheet' });
    } else if (where === 'wechat') {
      if (name === 'alipay') options.push({ provider: name, channel: null, hint: 'pay.openInBrowser' });
      else if (offers('qr')) options.push({ provider: name, channel: 'qr', hint: 'pay.wechatQrInWechat' });
    } else {
      const channel = where === 'phone' && offers('h5') ? 'h5' : offers('qr') ? 'qr' : null;
      if (channel) options.push({ provider: name, channel });
    }
  }
  return options;
}

/** Set before the buyer leaves for a provider's page: coming back to /pay/:id, the page waits for the money. */
const AWAY_KEY = (paymentId: string) => `c2m-store.paying.${paymentId}`;
function away(paymentId: string, provider: string | null): void {
  try {
    if (provider) sessionStorage.setItem(AWAY_KEY(paymentId), provider);
    else sessionStorage.removeItem(AWAY_KEY(paymentId));
  } catch {
    // Private mode: coming back shows the choice again, and the order page shows the payment once it lands.
  }
}
function wentAway(paymentId: string): string | null {
  try {
    return sessionStorage.getItem(AWAY_KEY(paymentId));
  } catch {
    return null;
  }
}

type Stage =
  | { kind: 'choose' }
  | { kind: 'sheet' }
  | { kind: 'qr'; provider: string; svg: string; expiresAt: string }
  /** Back from a provider's page (H5), or sent there: waiting for its notification. */
  | { kind: 'waiting'; provider: string };

/** How often a payment is asked about while the buyer pays at a provider. */
const POLL_MS = 3000;

/**
 * The checkout (/pay/:paymentId): the providers the service offers (GET /v1/payments/providers), each with
 * the checkout that fits where the page runs — a QR code on a computer (the page asks about the payment
 * every few seconds and goes to the order once it is paid), the provider's page in a phone browser (it
 * sends the buyer back here, where the page waits for the money) — and, in the demo, the sandbox sheet,
 * which drives the sandbox gateway's signed notification through the real notification path.
 */
export default function PayPage({ paymentId }: { paymentId: string }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const [stage, setStage] = useState<Stage>(() => {
    const provider = wentAway(paymentId);
    return provider ? { kind: 'waiting', provider } : { kind: 'choose' };
  });
  const polling = stage.kind === 'qr' || stage.kind === 'waiting';
  const payment = useResource<Payment>(
    session ? `/v1/payments/${paymentId}` : null,
    (signal) => api('GET', `/v1/payments/${encodeURIComponent(paymentId)}`, { signal }),
    { refreshMs: polling ? POLL_MS : undefined },
  );
  const providers = useResource<PaymentProviders>('/v1/payments/providers', (signal) => api('GET', '/v1/payments/providers', { signal }));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failed, setFailed] = useState(false);
  const attempt = useRef<{ outcome: string; key: string } | null>(null);
  const firstButton = useRef<HTMLButtonElement>(null);

  const p = payment.data;
  const orderPath = p?.pledgeId ? `/me/pledges/${p.pledgeId}` : '/me';
  const options = providers.data ? optionsFor(providers.data.items, whereAmI(navigator.userAgent)) : null;
  // The demo offers only its sheet: nothing to choose.
  const onlySheet = options?.length === 1 && options[0].channel === 'sheet';
  const shown: Stage = stage.kind === 'choose' && onlySheet ? { kind: 'sheet' } : stage;

  useEffect(() => {
    if (p?.status === 'pending') firstButton.current?.focus();
  }, [p?.status, shown.kind]);

  // Paid at the provider: the order it paid for, as the sheet does.
  useEffect(() => {
    if (!polling || p?.status !== 'succeeded') return;
    away(paymentId, null);
    forget('/v1/me/');
    forget('/v1/pledges/');
    navigate(orderPath, { replace: true });
  }, [polling, p?.status, paymentId, orderPath]);

  if (!session) {
    return (
      <section className="page narrow">
        <h1>{t('pay.title')}</h1>
        <p>
          <Link to={`/signin?next=${encodeURIComponent(`/pay/${paymentId}`)}`}>{t('common.signInFirst')}</Link>
        </p>
      </section>
    );
  }
  const close = () => navigate(orderPath, { replace: true });

  async function choose(option: Option) {
    if (busy || option.channel === null) return;
    setBusy(option.provider);
    setError(null);
    try {
      const answer = await api<Checkout>('POST', `/v1/payments/${encodeURIComponent(paymentId)}/checkout`, {
        body: { provider: option.provider, channel: option.channel },
      });
      payment.set(answer.payment);
      const c = answer.checkout;
      if (c.channel === 'qr') setStage({ kind: 'qr', provider: option.provider, svg: c.qrSvg, expiresAt: c.expiresAt });
      else if (c.channel === 'sheet') setStage({ kind: 'sheet' });
      else if (c.channel === 'h5') {
        away(paymentId, option.provider);
        setStage({ kind: 'waiting', provider: option.provider });
        window.location.assign(c.redirectUrl);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function sheet(outcome: 'pay' | 'fail') {
    if (busy) return;
    setBusy(outcome);
    setError(null);
    if (attempt.current?.outcome !== outcome) attempt.current = { outcome, key: newIdempotencyKey() };
    try {
      const answer = await api<{ outcome: string; payment: Payment }>('POST', `/v1/payments/${encodeURIComponent(paymentId)}/sandbox-checkout`, {
        body: { outcome },
        idempotencyKey: attempt.current.key,
      });
      attempt.current = null;
      forget('/v1/me/');
      forget('/v1/pledges/');
      payment.set(answer.payment);
      if (outcome === 'pay') navigate(answer.payment.pledgeId ? `/me/pledges/${answer.payment.pledgeId}` : '/me', { replace: true });
      else setFailed(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  const chooseAgain = () => {
    away(paymentId, null);
    setError(null);
    setStage({ kind: 'choose' });
  };

  function pending() {
    if (!options) return providers.error ? <ErrorView error={providers.error} retry={() => void providers.reload()} /> : <Loading />;
    switch (shown.kind) {
      case 'sheet':
        return (
          <>
            <button
              ref={firstButton}
              type="button"
              className="button primary wide"
              onClick={() => void sheet('pay')}
              disabled={busy !== null}
              aria-busy={busy === 'pay'}
            >
              {busy === 'pay' ? t('pay.paying') : t('pay.pay', { amount: yuan(p!.amount) })}
            </button>
            <button type="button" className="link-button wide" onClick={() => void sheet('fail')} disabled={busy !== null}>
              {t('pay.fail')}
            </button>
            {!onlySheet && <ChooseAgain onClick={chooseAgain} />}
          </>
        );
      case 'qr':
        return (
          <>
            <img
              className="pay-qr"
              src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(shown.svg)}`}
              alt={t('pay.qrAlt', { provider: t(NAMES[shown.provider]) })}
            />
            <p className="center" role="status">
              {t(shown.provider === 'alipay' ? 'pay.scanAlipay' : 'pay.scanWechat')}
            </p>
            <p className="center hint">{t('pay.watching', { time: dateTime(shown.expiresAt, language) })}</p>
            <ChooseAgain onClick={chooseAgain} />
          </>
        );
      case 'waiting':
        return (
          <>
            <p className="center" role="status" aria-live="polite">
              <span className="spinner" aria-hidden="true" /> {t('pay.waiting', { provider: t(NAMES[shown.provider] ?? 'pay.title') })}
            </p>
            <p className="center hint">{t('pay.waitingHint')}</p>
            <ChooseAgain onClick={chooseAgain} />
          </>
        );
      case 'choose':
        return options.length === 0 ? (
          <Message kind="info">{t('pay.noProviders')}</Message>
        ) : (
          <ul className="pay-options" aria-label={t('pay.chooseLabel')}>
            {options.map((o, i) => (
              <li key={o.provider}>
                <button
                  ref={i === 0 ? firstButton : undefined}
                  type="button"
                  className={`pay-option pay-${o.provider}`}
                  onClick={() => void choose(o)}
                  disabled={busy !== null || o.channel === null}
                  aria-busy={busy === o.provider}
                  aria-describedby={o.hint ? `pay-hint-${o.provider}` : undefined}
                >
                  {t(NAMES[o.provider])}
                </button>
                {o.hint && (
                  <p id={`pay-hint-${o.provider}`} className="hint">
                    {t(o.hint)}
                  </p>
                )}
              </li>
            ))}
          </ul>
        );
    }
  }

  return (
    <div className="paysheet-backdrop">
      <section className="paysheet" role="dialog" aria-modal="true" aria-labelledby="pay-title">
        <div className="sheet-head">
          <h1 id="pay-title">{t('pay.title')}</h1>
          <LanguageSwitch />
          <button type="button" className="icon-button" onClick={close} aria-label={t('common.close')}>
            ×
          </button>
        </div>
        {shown.kind === 'sheet' && <p className="sandbox-tag">{t('pay.sandbox')}</p>}
        {!p ? (
          payment.error ? (
            <ErrorView error={payment.error} retry={() => void payment.reload()} />
          ) : (
            <Loading />
          )
        ) : (
          <>
            <p className="center hint">
              {t('pay.merchant')} · {t(`paymentKind.${p.kind === 'balance' ? 'balance' : p.kind === 'box' ? 'box' : 'deposit'}`)}
            </p>
            <p className="pay-amount" aria-label={t('pay.amountLabel')} data-testid="pay-amount">
              {yuan(p.amount)}
            </p>
            {failed && <Message kind="error">{t('pay.failed')}</Message>}
            {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
            {p.status === 'pending' ? (
              pending()
            ) : (
              <>
                <Message kind={p.status === 'succeeded' ? 'success' : 'info'}>
                  {p.status === 'succeeded' ? t('pay.done') : t('pay.notPending', { status: t(`paymentStatus.${p.status as 'failed'}`) })}
                </Message>
                <Link to={orderPath} className="button primary wide">
                  {t('pay.toOrder')}
                </Link>
              </>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function ChooseAgain({ onClick }: { onClick(): void }) {
  const { t } = useI18n();
  return (
    <button type="button" className="link-button wide" onClick={onClick}>
      {t('pay.chooseAgain')}
    </button>
  );
}
