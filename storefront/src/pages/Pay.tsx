import { useEffect, useRef, useState } from 'react';
import { newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Checkout, Payment, PaymentProviders } from '../api/types';
import { ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { forget, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** Inside WeChat's browser: WeChat Pay's QR code is recognised by a long press there; Alipay pages do not open there. */
const IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent);
/** A phone's browser is sent to the provider's page (H5); a desktop shows a code to scan with the phone. */
const CHANNEL: 'h5' | 'qr' = !IN_WECHAT && /Mobi|Android|iPhone|iPad/i.test(navigator.userAgent) ? 'h5' : 'qr';

/**
 * The checkout (/pay/:paymentId). With the sandbox's sheet on, it looks and behaves like a payment sheet —
 * pay, fail, or close it — and drives the sandbox gateway's signed notification through the real
 * notification path, so the order the buyer lands on has moved exactly as a real payment would move it.
 * Beside it, or alone, the real providers the service offers: a QR code to scan on a desktop (and inside
 * WeChat), their own page on a phone; the page follows the payment and moves on to the order once paid.
 */
export default function PayPage({ paymentId }: { paymentId: string }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const [shown, setShown] = useState<Extract<Checkout['checkout'], { channel: 'qr' }> | null>(null);
  // Followed while a code is shown: the provider's notification (or the query job) settles it meanwhile.
  const payment = useResource<Payment>(
    session ? `/v1/payments/${paymentId}` : null,
    (signal) => api('GET', `/v1/payments/${encodeURIComponent(paymentId)}`, { signal }),
    shown ? { refreshMs: 3000 } : {},
  );
  const providers = useResource<PaymentProviders>('/v1/payments/providers', (signal) => api('GET', '/v1/payments/providers', { signal }));
  const [busy, setBusy] = useState<'pay' | 'fail' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failed, setFailed] = useState(false);
  const attempt = useRef<{ outcome: string; key: string } | null>(null);
  const payButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (payment.data?.status === 'pending') payButton.current?.focus();
    if (payment.data?.status === 'succeeded' && shown) {
      forget('/v1/me/');
      forget('/v1/pledges/');
      navigate(payment.data.pledgeId ? `/me/pledges/${payment.data.pledgeId}` : '/me', { replace: true });
    }
  }, [payment.data?.status, payment.data?.pledgeId, shown]);

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
  const p = payment.data;
  const orderPath = p?.pledgeId ? `/me/pledges/${p.pledgeId}` : '/me';
  const close = () => navigate(orderPath, { replace: true });

  async function checkout(outcome: 'pay' | 'fail') {
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

  /** The real providers offering this device's checkout (the sandbox's own is its sheet, above). */
  const offered = (providers.data?.items ?? []).filter((x) => x.name !== 'sandbox' && x.channels.includes(CHANNEL) && !(IN_WECHAT && x.name === 'alipay'));
  const providerName = (name: string) => (name === 'wechatpay' || name === 'alipay' ? t(`pay.provider.${name}`) : name);

  async function payAt(provider: string) {
    if (busy) return;
    setBusy('pay');
    setError(null);
    try {
      const answer = await api<Checkout>('POST', `/v1/payments/${encodeURIComponent(paymentId)}/checkout`, { body: { provider, channel: CHANNEL } });
      payment.set(answer.payment);
      if (answer.checkout.channel === 'h5') window.location.assign(answer.checkout.redirectUrl);
      else if (answer.checkout.channel === 'qr') setShown(answer.checkout);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="paysheet-backdrop">
      <section className="paysheet" role="dialog" aria-modal="true" aria-labelledby="pay-title">
        <div className="sheet-head">
          <h1 id="pay-title">{t('pay.title')}</h1>
          <button type="button" className="icon-button" onClick={close} aria-label={t('common.close')}>
            ×
          </button>
        </div>
        {p?.checkoutUrl && <p className="sandbox-tag">{t('pay.sandbox')}</p>}
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
            {p.status === 'pending' && shown ? (
              <div className="pay-code" data-testid="pay-code">
                <p className="center">{t('pay.scan', { provider: providerName(shown.provider), amount: yuan(p.amount) })}</p>
                {/* The API's own drawing of the provider's code (server-side, from text the provider gave). */}
                <div
                  className="qr"
                  role="img"
                  aria-label={t('pay.scan', { provider: providerName(shown.provider), amount: yuan(p.amount) })}
                  dangerouslySetInnerHTML={{ __html: shown.qrSvg }}
                />
                <p className="center hint">{t('pay.scanHint', { time: dateTime(shown.expiresAt, language) })}</p>
              </div>
            ) : p.status === 'pending' ? (
              <>
                {!p.checkoutUrl && offered.length === 0 && providers.data && <Message kind="info">{t('pay.noMethod')}</Message>}
                {offered.length > 0 && (
                  <div className="pay-methods" role="group" aria-label={t('pay.methods')}>
                    {offered.map((x) => (
                      <button key={x.name} type="button" className="button wide" onClick={() => void payAt(x.name)} disabled={busy !== null}>
                        {t('pay.payWith', { provider: providerName(x.name) })}
                      </button>
                    ))}
                  </div>
                )}
              </>
            ) : null}
            {p.status === 'pending' && !shown && p.checkoutUrl ? (
              <>
                <button
                  ref={payButton}
                  type="button"
                  className="button primary wide"
                  onClick={() => void checkout('pay')}
                  disabled={busy !== null}
                  aria-busy={busy === 'pay'}
                >
                  {busy === 'pay' ? t('pay.paying') : t('pay.pay', { amount: yuan(p.amount) })}
                </button>
                <button type="button" className="link-button wide" onClick={() => void checkout('fail')} disabled={busy !== null}>
                  {t('pay.fail')}
                </button>
              </>
            ) : p.status === 'pending' ? null : (
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
