import { useEffect, useRef, useState } from 'react';
import { newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Payment } from '../api/types';
import { ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { yuan } from '../lib/format';
import { forget, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/**
 * The sandbox checkout (/pay/:paymentId): looks and behaves like a payment sheet — pay, fail, or close it —
 * and drives the sandbox gateway's signed notification through the real notification path, so the order
 * the buyer lands on has moved exactly as a real payment would move it.
 */
export default function PayPage({ paymentId }: { paymentId: string }) {
  const { t } = useI18n();
  const { session, api } = useSession();
  const payment = useResource<Payment>(session ? `/v1/payments/${paymentId}` : null, (signal) =>
    api('GET', `/v1/payments/${encodeURIComponent(paymentId)}`, { signal }),
  );
  const [busy, setBusy] = useState<'pay' | 'fail' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failed, setFailed] = useState(false);
  const attempt = useRef<{ outcome: string; key: string } | null>(null);
  const payButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (payment.data?.status === 'pending') payButton.current?.focus();
  }, [payment.data?.status]);

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

  return (
    <div className="paysheet-backdrop">
      <section className="paysheet" role="dialog" aria-modal="true" aria-labelledby="pay-title">
        <div className="sheet-head">
          <h1 id="pay-title">{t('pay.title')}</h1>
          <button type="button" className="icon-button" onClick={close} aria-label={t('common.close')}>
            ×
          </button>
        </div>
        <p className="sandbox-tag">{t('pay.sandbox')}</p>
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
