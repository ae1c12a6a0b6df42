import { type AccountService, normalizePhone } from '../accounts';
import { type CampaignService, type OptionDimension, variantLabel, variantText } from '../campaigns';
import type { PaymentService } from '../payments';
import type { PledgeReads } from '../pledges';
import { ID_PATTERN } from '../platform/ids';
import { formatMoney } from '../platform/money';
import type { SubscriptionSchedule } from '../subscriptions';
import { type ConsumerView, consumerView, recordLink } from './consumers';
import type { SearchDto } from './money-desk.schemas';

/** The newest records of each kind a search shows (the total says how many there are). */
export const HITS_PER_KIND = 20;
/** Campaigns a title search reads as meant (the newest first). */
const CAMPAIGNS_PER_SEARCH = 20;

/** What a search box's text is read as. */
export interface ReadQuery {
  /** A record's id: typed as a UUID, or as a provider's order number (the UUID without dashes). */
  ids: string[];
  phone?: string;
  email?: string;
  /** Words of a campaign's title: anything that is not an id, a phone number or an email. */
  title?: string;
  /** A provider's transaction id (WeChat Pay's 交易单号, Alipay's trade_no): letters and digits, 8 to 64 of them. */
  transactionId?: string;
}

/** Reads what an operator typed: an id, a phone number, an email, or words of a title (and perhaps a transaction id). */
export function readQuery(q: string): ReadQuery {
  const text = q.trim();
  const lower = text.toLowerCase();
  if (ID_PATTERN.test(lower)) return { ids: [lower] };
  if (/^[0-9a-f]{32}$/.test(lower))
    return { ids: [`${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`], transactionId: text };
  const phone = normalizePhone(text);
  if (phone) return { ids: [], phone };
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { ids: [], email: lower };
  return { ids: [], title: text, ...(/^[A-Za-z0-9_-]{8,64}$/.test(text) ? { transactionId: text } : {}) };
}

/**
 * The operators' money search (GET /v1/console/search): pledges, payments, refunds, subscriptions and fruit
 * boxes by their id, a consumer's (by phone or email), or a campaign's (by id or title). Each module answers
 * through its own service; this one only reads the query and puts the answers together.
 */
export class MoneySearch {
  constructor(
    private readonly deps: {
      accounts: AccountService;
      campaigns: CampaignService;
      pledges: PledgeReads;
      payments: PaymentService;
      subscriptions: SubscriptionSchedule;
    },
  ) {}

  async search(q: string): Promise<SearchDto> {
    const { accounts, campaigns, pledges, payments, subscriptions } = this.deps;
    const read = readQuery(q);
    const consumers = read.phone || read.email ? await accounts.consumersByContact({ phone: read.phone, email: read.email }) : [];
    const matchedCampaigns = await campaigns.search({ ids: read.ids, titleContains: read.title }, CAMPAIGNS_PER_SEARCH);
    const userIds = consumers.map((c) => c.id);
    const campaignIds = matchedCampaigns.map((c) => c.id);
    const { ids } = read;
    const [pledgeHits, paymentHits, refundHits, subscriptionHits, boxHits] = await Promise.all([
      pledges.search({ ids, userIds, campaignIds }, HITS_PER_KIND),
      payments.search({ ids, userIds, campaignIds, transactionIds: read.transactionId ? [read.transactionId] : [] }, HITS_PER_KIND),
      payments.searchRefunds({ ids, userIds, campaignIds }, HITS_PER_KIND),
      subscriptions.search({ ids, userIds }, HITS_PER_KIND),
      subscriptions.searchBoxes({ ids, userIds }, HITS_PER_KIND),
    ]);
    // Whose each record is, and the titles of the campaigns they belong to: asked once for all of them.
    const people = await accounts.contactsOf(
      [...pledgeHits.items, ...paymentHits.items, ...refundHits.items, ...boxHits.items, ...subscriptionHits.items.map((s) => s.subscription)].flatMap((r) =>
        r.userId ? [r.userId] : [],
      ),
    );
    const found = await this.campaignsOf([...pledgeHits.items, ...paymentHits.items, ...refundHits.items].flatMap((r) => (r.campaignId ? [r.campaignId] : [])));
    const titles = new Map([...found].map(([id, c]) => [id, c.title]));
    // A variant in the campaign's own labels (黑色 / L), in both languages; its keys when the campaign is not found.
    const variant = (campaignId: string, key: string) => {
      const options = found.get(campaignId)?.options;
      return options ? variantText(options, key) : { zh: variantLabel(key), en: variantLabel(key) };
    };
    const consumer = (userId: string | null): ConsumerView | null => {
      const user = userId ? people.get(userId) : undefined;
      return user ? consumerView(user) : null;
    };
    const campaign = (id: string | null) => (id && titles.has(id) ? { id, title: titles.get(id)! } : null);
    return {
      query: q,
      matched: {
        consumers: consumers.map(consumerView),
        campaigns: matchedCampaigns.map((c) => ({ id: c.id, title: c.title, status: c.status })),
      },
      pledges: {
        total: pledgeHits.total,
        items: pledgeHits.items.map((p) => ({
          id: p.id,
          link: recordLink('pledges', p.id),
          status: p.status,
          campaign: campaign(p.campaignId),
          consumer: consumer(p.userId),
          variant: variant(p.campaignId, p.variantKey),
          quantity: p.quantity,
          deposit: formatMoney(p.deposit),
          balance: p.balance && formatMoney(p.balance),
          createdAt: p.createdAt.toISOString(),
        })),
      },
      payments: {
        total: paymentHits.total,
        items: paymentHits.items.map((p) => ({
          id: p.id,
          link: recordLink('payments', p.id),
          kind: p.kind,
          status: p.status,
          amount: formatMoney(p.amount),
          currency: p.currency,
          provider: p.provider,
          transactionId: p.transactionId,
          pledgeId: p.pledgeId,
          boxId: p.boxId,
          campaign: campaign(p.campaignId),
          consumer: consumer(p.userId),
          createdAt: p.createdAt.toISOString(),
          settledAt: p.settledAt?.toISOString() ?? null,
        })),
      },
      refunds: {
        total: refundHits.total,
        items: refundHits.items.map((r) => ({
          id: r.id,
          link: recordLink('refunds', r.id),
          status: r.status,
          stuck: payments.isStuck(r),
          reason: r.reason,
          amount: formatMoney(r.amount),
          attempts: r.attempts,
          lastError: r.lastError,
          paymentId: r.paymentId,
          pledgeId: r.pledgeId,
          campaign: campaign(r.campaignId),
          consumer: consumer(r.userId),
          createdAt: r.createdAt.toISOString(),
          succeededAt: r.succeededAt?.toISOString() ?? null,
        })),
      },
      subscriptions: {
        total: subscriptionHits.total,
        items: subscriptionHits.items.map((s) => ({
          id: s.subscription.id,
          link: recordLink('subscriptions', s.subscription.id),
          status: s.status,
          plan: s.planName,
          consumer: consumer(s.subscription.userId),
          nextDeliveryDate: s.nextDeliveryDate,
          createdAt: s.subscription.createdAt.toISOString(),
        })),
      },
      boxes: {
        total: boxHits.total,
        items: boxHits.items.map((b) => ({
          id: b.id,
          link: recordLink('boxes', b.id),
          status: b.status,
          subscriptionId: b.subscriptionId,
          deliveryDate: b.deliveryDate,
          price: formatMoney(b.price),
          paymentId: b.paymentId,
          consumer: consumer(b.userId),
        })),
      },
    };
  }

  private async campaignsOf(campaignIds: string[]): Promise<Map<string, { title: string; options: OptionDimension[] }>> {
    const ids = [...new Set(campaignIds)];
    if (ids.length === 0) return new Map();
    return new Map((await this.deps.campaigns.search({ ids }, ids.length)).map((c) => [c.id, c]));
  }
}
