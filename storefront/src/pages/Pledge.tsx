import { useRef, useState } from 'react';
import { ApiError, newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Campaign, Pledge } from '../api/types';
import { Confirm, ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { variantText } from '../lib/labels';
import { checkoutPath, pledgeDetail } from '../lib/pledge';
import { forget, useNow, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** One order: its state in words, what is owed and by when, and what the buyer can do now. */
export default function PledgePage({ id }: { id: string }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const now = useNow();
  // Polled: a payment's confirmation, the campaign's decision and refunds arrive without the buyer doing anything.
  const pledge = useResource<Pledge>(session ? `/v1/pledges/${id}` : null, (signal) => api('GET', `/v1/pledges/${encodeURIComponent(id)}`, { signal }), {
    refreshMs: 4000,
  });
  const campaignId = pledge.data?.campaignId;
  const campaign = useResource<Campaign>(campaignId ? `/v1/campaigns/${campaignId}` : null, (signal) =>
    api('GET', `/v1/campaigns/${encodeURIComponent(campaignId!)}`, { signal }),
  );
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const keys = useRef<Record<string, string>>({});
  const keyFor = (action: string) => (keys.current[action] ??= newIdempotencyKey());

  if (!session) {
    return (
      <section className="page narrow">
        <h1>{t('pledge.title')}</h1>
        <Link to={`/signin?next=${encodeURIComponent(`/me/pledges/${id}`)}`}>{t('common.signInFirst')}</Link>
      </section>
    );
  }
  const p = pledge.data;
  if (!p) return pledge.error ? <ErrorView error={pledge.error} retry={() => void pledge.reload()} /> : <Loading />;
  const c = campaign.data;
  const pendingDeposit = p.payments.find((x) => x.kind === 'deposit' && x.status === 'pending');
  const paidDeposit = p.payments.some((x) => x.kind === 'deposit' && x.status === 'succeeded');
  const cancellable = (p.status === 'awaiting_deposit' || p.status === 'active') && (!c || c.status === 'open');
  const balanceOpen = p.status === 'awaiting_balance' && p.balanceDueAt !== null && new Date(p.balanceDueAt).getTime() > now;

  async function act(action: 'balance' | 'cancel') {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      if (action === 'balance') {
        const answer = await api<Pledge>('POST', `/v1/pledges/${encodeURIComponent(id)}/balance-payment`, { idempotencyKey: keyFor('balance') });
        delete keys.current.balance;
        pledge.set(answer);
        const to = answer.balancePayment && checkoutPath(answer.balancePayment);
        if (to) navigate(to);
      } else {
        const answer = await api<Pledge>('POST', `/v1/pledges/${encodeURIComponent(id)}/cancel`, { idempotencyKey: keyFor('cancel') });
        delete keys.current.cancel;
        pledge.set(answer);
        setConfirming(false);
      }
      forget('/v1/me/');
    } catch (e) {
      // A refused request will be refused again: the next tap is a new attempt with a new key.
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) delete keys.current[action];
      setError(e);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page" data-pledge-id={p.id}>
      <h1>{t('pledge.title')}</h1>
      <div className="card">
        <p className={`order-state state-${p.status}`} data-testid="pledge-state">
          {t(`pledgeStatus.${p.status}`)}
        </p>
        <p data-testid="pledge-detail">{pledgeDetail(p, c, t, language, now)}</p>
        {c && <p className="card-title">{c.title}</p>}
        <dl className="dl">
          <dt>{t('campaign.quantity')}</dt>
          <dd>{t('pledge.quantity', { variant: variantText(c, p.variant, language), n: p.quantity })}</dd>
          <dt>{t('paymentKind.deposit')}</dt>
          <dd>{yuan(p.deposit)}</dd>
          {p.unitPrice && (
            <>
              <dt>{t('pledge.unitPrice')}</dt>
              <dd>{yuan(p.unitPrice)}</dd>
            </>
          )}
          {p.balance && (
            <>
              <dt>{t('paymentKind.balance')}</dt>
              <dd>{yuan(p.balance)}</dd>
            </>
          )}
        </dl>
        {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
        <div className="actions">
          {p.status === 'awaiting_deposit' && pendingDeposit && (
            <Link to={checkoutPath(pendingDeposit)} className="button primary">
              {t('pledge.payDeposit')}
            </Link>
          )}
          {balanceOpen && (
            <button type="button" className="button primary" onClick={() => void act('balance')} disabled={busy} aria-busy={busy}>
              {t('pledge.payBalance', { amount: yuan(p.balance) })}
            </button>
          )}
          {cancellable && (
            <button type="button" className="button danger" onClick={() => setConfirming(true)}>
              {t('pledge.cancel')}
            </button>
          )}
        </div>
        <p>
          <Link to={`/c/${p.campaignId}`}>{t('pledge.campaign')}</Link>
        </p>
      </div>
      {p.payments.length > 0 && (
        <div className="card">
          <h2>{t('pledge.payments')}</h2>
          <ul className="list">
            {p.payments.map((payment) => (
              <li key={payment.id} className="notice">
                {t('pledge.paymentLine', {
                  kind: t(`paymentKind.${payment.kind === 'balance' ? 'balance' : 'deposit'}`),
                  amount: yuan(payment.amount),
                  status: t(
                    `paymentStatus.${(['pending', 'succeeded', 'failed', 'cancelled'].includes(payment.status) ? payment.status : 'pending') as 'pending'}`,
                  ),
                })}
                <time dateTime={payment.settledAt ?? payment.createdAt}>{dateTime(payment.settledAt ?? payment.createdAt, language)}</time>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Confirm
        open={confirming}
        onClose={() => setConfirming(false)}
        onConfirm={() => void act('cancel')}
        busy={busy}
        danger
        title={t('pledge.cancelTitle')}
        confirm={t('pledge.cancelConfirm')}
        body={<p>{paidDeposit ? t('pledge.cancelBody', { amount: yuan(p.deposit) }) : t('pledge.cancelBodyUnpaid')}</p>}
      />
    </section>
  );
}
