import type { Campaign, Payment, Pledge } from '../api/types';
import type { Translate, Language } from '../i18n';
import { useSession } from '../session';
import { countdown, dateTime, yuan } from './format';
import { useResource, type Resource } from './resource';

/** The campaigns these orders belong to (titles, option labels): a handful, each read once and cached; one that cannot be read is left out. */
export function useCampaignsOf(campaignIds: readonly string[]): Resource<Map<string, Campaign>> {
  const { api } = useSession();
  const ids = [...new Set(campaignIds)].sort();
  return useResource<Map<string, Campaign>>(ids.length ? `me:campaigns:${ids.join(',')}` : null, async (signal) => {
    const list = await Promise.all(ids.map((id) => api<Campaign>('GET', `/v1/campaigns/${encodeURIComponent(id)}`, { signal }).catch(() => null)));
    return new Map(list.filter((c): c is Campaign => c !== null).map((c) => [c.id, c]));
  });
}

/** The order's state in words, with what the buyer must know about it: amounts, due times, refunds. */
export function pledgeDetail(pledge: Pledge, campaign: Campaign | undefined, t: Translate, language: Language, now: number): string {
  switch (pledge.status) {
    case 'awaiting_deposit':
      return t('pledge.depositDue', { time: dateTime(pledge.depositDueAt, language), left: countdown(pledge.depositDueAt, now, language) });
    case 'active':
      return t('pledge.activeNote');
    case 'awaiting_balance':
      if (!pledge.balanceDueAt) return t('pledgeStatus.awaiting_balance');
      if (new Date(pledge.balanceDueAt).getTime() <= now) return t('pledge.balanceOverdue');
      return t('pledge.balanceDue', {
        amount: yuan(pledge.balance),
        time: dateTime(pledge.balanceDueAt, language),
        left: countdown(pledge.balanceDueAt, now, language),
      });
    case 'paid':
      return t('pledge.paidNote', { price: yuan(pledge.unitPrice ?? campaign?.finalUnitPrice ?? null) });
    case 'refunded':
      // The deposit is what was paid and what the refund returns in full; the time is when the order became refunded.
      return t('pledge.refunded', { amount: yuan(pledge.deposit), time: dateTime(pledge.updatedAt, language) });
    case 'forfeited':
      return t('pledge.forfeited', { amount: yuan(pledge.deposit) });
    case 'expired':
      // Closed either by the deposit's time limit or by a deposit payment the gateway declined.
      return t(pledge.payments.some((x) => x.kind === 'deposit' && x.status === 'failed') ? 'pledge.depositFailed' : 'pledge.expired');
    default:
      return t('pledge.cancelled');
  }
}

/** Where a payment is made: the sandbox's sheet when the service offers it, else the checkout page with the providers it offers. */
export function checkoutPath(payment: Payment): string {
  return payment.checkoutUrl ?? `/pay/${payment.id}`;
}
