import type { AccountService } from '../accounts';
import { type CampaignService, variantLabel, variantText } from '../campaigns';
import { LEDGER_CURRENCY, type LedgerService, type PostedEntry } from '../ledger';
import type { PaymentRow, PaymentService, RefundRow } from '../payments';
import type { PledgeReads, PledgeRow } from '../pledges';
import type { Database } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { type Decimal, formatMoney, sum } from '../platform/money';
import type { BoxRow, SubscriptionSchedule } from '../subscriptions';
import { consumerView, recordLink } from './consumers';
import type { RecordDto, RecordKind } from './money-desk.schemas';

type Operator = Principal & { role: 'operator' };
type Event = RecordDto['timeline'][number];
type Related = RecordDto['related'][number];
/** A subscription's newest boxes its view shows (with their ledger entries). */
const BOXES_SHOWN = 12;

const at = (date: Date) => date.toISOString();
const money = (name: string, amount: Decimal | null | undefined) => (amount ? [{ name, amount: formatMoney(amount) }] : []);
const field = (name: string, value: string | number | null | undefined) =>
  value === null || value === undefined || value === '' ? [] : [{ name, value: String(value) }];
const event = (when: Date | null | undefined, name: string, detail: string | null = null, ref: Event['ref'] = null): Event[] =>
  when ? [{ at: at(when), event: name, detail, ref }] : [];

/** A payment's part of a timeline: asked, settled (succeeded, failed, cancelled). */
function paymentEvents(p: PaymentRow): Event[] {
  const ref = { kind: 'payments' as const, id: p.id };
  return [...event(p.createdAt, 'payment_created', p.kind, ref), ...(p.status === 'pending' ? [] : event(p.settledAt, `payment_${p.status}`, p.kind, ref))];
}

/** A refund's part of a timeline: decided, paid out; a failure has no time of its own (its last error is on the refund). */
function refundEvents(r: RefundRow): Event[] {
  const ref = { kind: 'refunds' as const, id: r.id };
  return [...event(r.createdAt, 'refund_requested', r.reason, ref), ...event(r.succeededAt, 'refund_paid_out', r.reason, ref)];
}

/**
 * What was paid back of a pledge's payments, in the ledger's currency: a record's amounts are CNY. Money a provider
 * took in another currency (unexpected, refunded in that currency) is on its own payment's record, in its currency.
 */
function refundedInLedgerCurrency(payments: readonly PaymentRow[], refunds: readonly RefundRow[]): Decimal | null {
  if (refunds.length === 0) return null;
  const inLedgerCurrency = new Set(payments.filter((p) => p.currency === LEDGER_CURRENCY).map((p) => p.id));
  return sum(refunds.filter((r) => r.status === 'succeeded' && inLedgerCurrency.has(r.paymentId)).map((r) => r.amount));
}

const ledgerEvents = (entries: readonly PostedEntry[]): Event[] => entries.flatMap((e) => event(e.entry.createdAt, 'ledger_entry', e.entry.kind));

const relatedPayment = (p: PaymentRow): Related => ({
  kind: 'payments',
  id: p.id,
  link: recordLink('payments', p.id),
  status: p.status,
  amount: formatMoney(p.amount),
  // Its amount is in its own currency: named when it is not the CNY of every other amount shown.
  summary: p.currency === LEDGER_CURRENCY ? p.kind : `${p.kind} · ${p.currency}`,
});
const relatedRefund = (r: RefundRow, currency = LEDGER_CURRENCY): Related => ({
  kind: 'refunds',
  id: r.id,
  link: recordLink('refunds', r.id),
  status: r.status,
  amount: formatMoney(r.amount),
  summary: currency === LEDGER_CURRENCY ? r.reason : `${r.reason} · ${currency}`,
});
/** Refunds, each in the currency of the payment it gives back. */
const relatedRefunds = (refunds: readonly RefundRow[], payments: readonly PaymentRow[]): Related[] => {
  const currencies = new Map(payments.map((p) => [p.id, p.currency]));
  return refunds.map((r) => relatedRefund(r, currencies.get(r.paymentId)));
};
const relatedPledge = (p: PledgeRow): Related => ({
  kind: 'pledges',
  id: p.id,
  link: recordLink('pledges', p.id),
  status: p.status,
  amount: formatMoney(p.deposit),
  summary: `${variantLabel(p.variantKey)} × ${p.quantity}`,
});
const relatedBox = (b: BoxRow): Related => ({
  kind: 'boxes',
  id: b.id,
  link: recordLink('boxes', b.id),
  status: b.status,
  amount: formatMoney(b.price),
  summary: b.deliveryDate,
});

/** Oldest first; what happened at the same moment stays in the order it was told. */
const inOrder = (events: Event[]) =>
  events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i)
    .map(({ e }) => e);

function toEntries(entries: readonly PostedEntry[]): RecordDto['ledger'] {
  return entries.map(({ entry, lines }) => ({
    id: entry.id,
    kind: entry.kind,
    createdAt: at(entry.createdAt),
    lines: [...lines]
      .sort((a, b) => b.amount.comparedTo(a.amount) || a.account.localeCompare(b.account))
      .map((l) => ({ account: l.account, amount: formatMoney(l.amount) })),
  }));
}

/**
 * The money desk's view of one record (GET /v1/console/money/:kind/:id): its state, amounts, what happened to it
 * (a timeline of its payments, refunds and ledger entries), the records tied to it and its journal entries. Each
 * part comes from the module that owns it, through its service.
 */
export class MoneyRecords {
  constructor(
    private readonly deps: {
      db: Database;
      ledger: LedgerService;
      accounts: AccountService;
      campaigns: CampaignService;
      pledges: PledgeReads;
      payments: PaymentService;
      subscriptions: SubscriptionSchedule;
    },
  ) {}

  async record(operator: Operator, kind: RecordKind, id: string): Promise<RecordDto> {
    switch (kind) {
      case 'pledges':
        return this.pledge(operator, id);
      case 'payments':
        return this.payment(id);
      case 'refunds':
        return this.refund(id);
      case 'subscriptions':
        return this.subscription(operator, id);
      case 'boxes':
        return this.box(id);
    }
  }

  private async entries(refs: Parameters<LedgerService['entriesReferring']>[1]): Promise<PostedEntry[]> {
    return this.deps.db.read((tx) => this.deps.ledger.entriesReferring(tx, refs));
  }

  private async consumer(userId: string | null) {
    const user = userId ? (await this.deps.accounts.contactsOf([userId])).get(userId) : undefined;
    return user ? consumerView(user) : null;
  }

  private async campaignRef(campaignId: string | null) {
    if (!campaignId) return null;
    const [campaign] = await this.deps.campaigns.search({ ids: [campaignId] }, 1);
    return campaign ? { id: campaign.id, title: campaign.title } : null;
  }

  private async pledge(operator: Operator, id: string): Promise<RecordDto> {
    const { pledge, payments: own } = await this.deps.pledges.get(operator, id);
    const { campaign } = await this.deps.campaigns.get(operator, pledge.campaignId);
    const { payments, refunds } = await this.deps.payments.withRefunds(own.map((p) => p.id));
    const ledger = await this.entries({ pledgeIds: [id] });
    return {
      kind: 'pledges',
      id,
      status: pledge.status,
      stuck: false,
      consumer: await this.consumer(pledge.userId),
      campaign: { id: campaign.id, title: campaign.title },
      summary: `${variantText(campaign.options, pledge.variantKey).zh} × ${pledge.quantity}`,
      amounts: [
        ...money('depositPerUnit', pledge.depositPerUnit),
        ...money('deposit', pledge.deposit),
        ...money('unitPrice', pledge.unitPrice),
        ...money('creditedPerUnit', pledge.creditedPerUnit),
        ...money('balance', pledge.balance),
        ...money('refunded', refundedInLedgerCurrency(payments, refunds)),
      ],
      fields: [...field('quantity', pledge.quantity), ...field('variant', pledge.variantKey), ...field('shopId', pledge.shopId)],
      timeline: inOrder([
        ...event(pledge.createdAt, 'pledge_created', null),
        ...(pledge.status === 'awaiting_deposit' ? event(pledge.expiresAt, 'deposit_due') : []),
        ...event(pledge.balanceDueAt, 'balance_due'),
        ...payments.flatMap(paymentEvents),
        ...refunds.flatMap(refundEvents),
        ...ledgerEvents(ledger),
      ]),
      related: [...payments.map(relatedPayment), ...relatedRefunds(refunds, payments)],
      ledger: toEntries(ledger),
    };
  }

  private async payment(id: string): Promise<RecordDto> {
    const trail = await this.deps.payments.trail(id);
    if (!trail) throw notFound('The payment');
    const { payment, checkouts, refunds } = trail;
    const ledger = await this.entries({ paymentIds: [id] });
    const pledge = payment.pledgeId ? (await this.deps.pledges.search({ ids: [payment.pledgeId] }, 1)).items[0] : undefined;
    const box = payment.boxId ? (await this.deps.subscriptions.searchBoxes({ ids: [payment.boxId] }, 1)).items[0] : undefined;
    return {
      kind: 'payments',
      id,
      status: payment.status,
      stuck: false,
      consumer: await this.consumer(payment.userId),
      campaign: await this.campaignRef(payment.campaignId),
      summary: payment.kind,
      amounts: [
        ...money('amount', payment.amount),
        ...money('refunded', refunds.length ? sum(refunds.filter((r) => r.status === 'succeeded').map((r) => r.amount)) : null),
      ],
      fields: [
        ...field('currency', payment.currency),
        ...field('provider', payment.provider),
        ...field('transactionId', payment.transactionId),
        ...field('unexpectedReason', payment.unexpectedReason),
        ...field('reportedPaymentId', payment.reportedPaymentId),
      ],
      timeline: inOrder([
        ...paymentEvents(payment),
        ...checkouts.flatMap((c) => event(c.createdAt, 'checkout', `${c.provider} · ${c.channel}`)),
        ...refunds.flatMap(refundEvents),
        ...ledgerEvents(ledger),
      ]),
      related: [...(pledge ? [relatedPledge(pledge)] : []), ...(box ? [relatedBox(box)] : []), ...relatedRefunds(refunds, [payment])],
      ledger: toEntries(ledger),
    };
  }

  private async refund(id: string): Promise<RecordDto> {
    const [refund] = (await this.deps.payments.searchRefunds({ ids: [id] }, 1)).items;
    if (!refund) throw notFound('The refund');
    const { payment } = (await this.deps.payments.trail(refund.paymentId))!;
    // The refund's own entries name its payment (the decision, and the money paid out), as do the payment's.
    const ledger = await this.entries({ paymentIds: [payment.id] });
    const stuck = this.deps.payments.isStuck(refund);
    const pledge = refund.pledgeId ? (await this.deps.pledges.search({ ids: [refund.pledgeId] }, 1)).items[0] : undefined;
    const box = payment.boxId ? (await this.deps.subscriptions.searchBoxes({ ids: [payment.boxId] }, 1)).items[0] : undefined;
    return {
      kind: 'refunds',
      id,
      status: refund.status,
      stuck,
      consumer: await this.consumer(refund.userId),
      campaign: await this.campaignRef(refund.campaignId),
      summary: refund.reason,
      amounts: [...money('amount', refund.amount), ...money('paymentAmount', payment.amount)],
      fields: [
        ...field('attempts', refund.attempts),
        ...field('lastError', refund.lastError),
        ...field('provider', payment.provider),
        ...field('currency', payment.currency),
      ],
      timeline: inOrder([...refundEvents(refund), ...paymentEvents(payment), ...ledgerEvents(ledger)]),
      related: [relatedPayment(payment), ...(pledge ? [relatedPledge(pledge)] : []), ...(box ? [relatedBox(box)] : [])],
      ledger: toEntries(ledger),
    };
  }

  private async subscription(operator: Operator, id: string): Promise<RecordDto> {
    await this.deps.subscriptions.get(operator, id);
    const trail = (await this.deps.subscriptions.trail(id, BOXES_SHOWN))!;
    const { view, plan, skips, boxes, boxCount } = trail;
    const s = view.subscription;
    const ledger = await this.entries({ boxIds: boxes.map((b) => b.id) });
    return {
      kind: 'subscriptions',
      id,
      status: view.status,
      stuck: false,
      consumer: await this.consumer(s.userId),
      campaign: null,
      summary: plan.nameZh,
      amounts: money('pricePerBox', plan.price),
      fields: [
        ...field('period', plan.period),
        ...field('householdSize', s.householdSize),
        ...field('region', s.region),
        ...field('deliveryWeekday', s.deliveryWeekday),
        ...field('startDate', s.startDate),
        ...field('nextDeliveryDate', view.nextDeliveryDate),
        ...field('pausedFrom', s.pausedFrom),
        ...field('pausedUntil', s.pausedUntil),
        ...field('exclusions', s.exclusions.join(', ')),
        ...field('boxes', boxCount),
      ],
      timeline: inOrder([
        ...event(s.createdAt, 'subscription_created'),
        ...skips.flatMap((k) => event(k.createdAt, 'delivery_skipped', k.deliveryDate)),
        ...boxes.flatMap((b) => [
          ...event(b.shippedAt, 'box_shipped', b.deliveryDate, { kind: 'boxes', id: b.id }),
          ...event(b.compensatedAt, 'box_compensated', b.deliveryDate, { kind: 'boxes', id: b.id }),
        ]),
        ...event(s.cancelledAt, 'subscription_cancelled'),
        ...ledgerEvents(ledger),
      ]),
      related: boxes.map(relatedBox),
      ledger: toEntries(ledger),
    };
  }

  private async box(id: string): Promise<RecordDto> {
    const found = await this.deps.subscriptions.box(id);
    if (!found) throw notFound('The fruit box');
    const { box, items, planName } = found;
    const charges = (await this.deps.payments.search({ boxIds: [id] }, 20)).items;
    const { payments, refunds } = await this.deps.payments.withRefunds(charges.map((p) => p.id));
    const ledger = await this.entries({ boxIds: [id] });
    return {
      kind: 'boxes',
      id,
      status: box.status,
      stuck: false,
      consumer: await this.consumer(box.userId),
      campaign: null,
      summary: `${planName.zh} · ${box.deliveryDate}`,
      amounts: [...money('price', box.price), ...money('cost', box.cost)],
      fields: [
        ...field('deliveryDate', box.deliveryDate),
        ...field('shipDate', box.shipDate),
        ...field('cancelReason', box.cancelReason),
        ...field('chargeAttempts', box.chargeAttempts),
        ...field('fruit', items.map((i) => `${i.fruitId} × ${i.units}`).join(', ')),
      ],
      timeline: inOrder([
        ...event(box.plannedAt, 'box_planned'),
        ...event(box.cutoffAt, 'box_cutoff'),
        ...event(box.lockedAt, 'box_locked'),
        ...payments.flatMap(paymentEvents),
        ...event(box.shipByAt, 'box_ship_by'),
        ...event(box.shippedAt, 'box_shipped'),
        ...event(box.compensatedAt, 'box_compensated'),
        ...refunds.flatMap(refundEvents),
        ...ledgerEvents(ledger),
      ]),
      related: [
        {
          kind: 'subscriptions',
          id: box.subscriptionId,
          link: recordLink('subscriptions', box.subscriptionId),
          status: '',
          amount: null,
          summary: planName.zh,
        },
        ...payments.map(relatedPayment),
        ...relatedRefunds(refunds, payments),
      ],
      ledger: toEntries(ledger),
    };
  }
}
