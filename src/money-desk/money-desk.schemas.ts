import { z } from 'zod';
import { searchText } from '../platform/http/paginate';
import { idSchema } from '../platform/ids';
import { moneyString, signedMoneyString } from '../platform/money';

/** The kinds of record the money desk finds and shows, as they appear in its paths (`/v1/console/money/:kind/:id`). */
export const RECORD_KINDS = ['pledges', 'payments', 'refunds', 'subscriptions', 'boxes'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const SearchQuery = z.strictObject({
  q: searchText(200).meta({
    description:
      "What to look for: the id of a pledge, payment, refund, subscription, fruit box or campaign (a UUID, or a provider's 32-character order number), a provider's transaction id, a consumer's phone number or email, or words of a campaign's title",
  }),
});
export const RecordParams = z.strictObject({ kind: z.enum(RECORD_KINDS), id: idSchema });

/** Whose a record is, as an operator sees it: the contact masked (+86 138****5678, w***@example.com). */
const Consumer = z
  .object({ id: z.uuid(), name: z.string(), contact: z.string().nullable().meta({ description: 'Phone or email, masked' }) })
  .nullable()
  .meta({ id: 'MoneyDeskConsumer' });
const CampaignRef = z.object({ id: z.uuid(), title: z.string() }).nullable();
/** Where an operator reads the record in full: the API path of its record view. */
const link = z.string().meta({ description: 'The record view: GET this path', examples: ['/v1/console/money/pledges/0b7c…'] });

export const PledgeHit = z.object({
  id: z.uuid(),
  link,
  status: z.string(),
  campaign: CampaignRef,
  consumer: Consumer,
  variant: z.object({ zh: z.string(), en: z.string() }).meta({ description: "The option values chosen, in the campaign's labels: 黑色 / M" }),
  quantity: z.int(),
  deposit: moneyString,
  balance: moneyString.nullable(),
  createdAt: z.iso.datetime(),
});
export const PaymentHit = z.object({
  id: z.uuid(),
  link,
  kind: z.enum(['deposit', 'balance', 'box', 'unexpected']),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
  amount: moneyString,
  currency: z.string(),
  provider: z.string(),
  transactionId: z.string().nullable(),
  pledgeId: z.uuid().nullable(),
  boxId: z.uuid().nullable(),
  campaign: CampaignRef,
  consumer: Consumer,
  createdAt: z.iso.datetime(),
  settledAt: z.iso.datetime().nullable(),
});
export const RefundHit = z.object({
  id: z.uuid(),
  link,
  status: z.enum(['pending', 'processing', 'failed', 'succeeded']),
  stuck: z.boolean(),
  reason: z.string(),
  amount: moneyString,
  attempts: z.int(),
  lastError: z.string().nullable(),
  paymentId: z.uuid(),
  pledgeId: z.uuid().nullable(),
  campaign: CampaignRef,
  consumer: Consumer,
  createdAt: z.iso.datetime(),
  succeededAt: z.iso.datetime().nullable(),
});
const PlanName = z.object({ zh: z.string(), en: z.string() });
export const SubscriptionHit = z.object({
  id: z.uuid(),
  link,
  status: z.enum(['active', 'paused', 'cancelled']),
  plan: PlanName,
  consumer: Consumer,
  nextDeliveryDate: z.iso.date().nullable(),
  createdAt: z.iso.datetime(),
});
export const BoxHit = z.object({
  id: z.uuid(),
  link,
  status: z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled']),
  subscriptionId: z.uuid(),
  deliveryDate: z.iso.date(),
  price: moneyString,
  paymentId: z.uuid().nullable(),
  consumer: Consumer,
});

const group = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.int().meta({ description: 'How many there are (items holds the newest, at most 20)' }) });

export const SearchDocument = z.object({
  query: z.string(),
  matched: z
    .object({
      consumers: z.array(Consumer.unwrap()),
      campaigns: z.array(CampaignRef.unwrap().extend({ status: z.string() })),
    })
    .meta({ description: 'What the query was read as: the consumers whose phone or email it is, the campaigns whose id or title it matches' }),
  pledges: group(PledgeHit),
  payments: group(PaymentHit),
  refunds: group(RefundHit),
  subscriptions: group(SubscriptionHit),
  boxes: group(BoxHit),
});
export type SearchDto = z.input<typeof SearchDocument>;

const LedgerEntry = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    createdAt: z.iso.datetime(),
    lines: z.array(z.object({ account: z.string(), amount: signedMoneyString.meta({ description: 'A debit is positive, a credit negative' }) })),
  })
  .meta({ id: 'LedgerEntry' });

export const RecordDocument = z.object({
  kind: z.enum(RECORD_KINDS),
  id: z.uuid(),
  status: z.string(),
  stuck: z.boolean().meta({ description: 'A refund still pending or processing longer than the threshold; false for anything else' }),
  consumer: Consumer,
  campaign: CampaignRef,
  summary: z.string().meta({ description: 'One line saying what it is: a variant and quantity, a plan, a refund reason, a payment kind' }),
  amounts: z.array(z.object({ name: z.string(), amount: moneyString })).meta({ description: 'Its amounts by name (deposit, balance, amount, price …)' }),
  fields: z
    .array(z.object({ name: z.string(), value: z.string() }))
    .meta({ description: 'Other facts by name (provider, transaction id, attempts, last error …)' }),
  timeline: z
    .array(
      z.object({
        at: z.iso.datetime(),
        event: z.string().meta({ description: 'What happened (pledge_created, payment_succeeded, refund_paid_out, ledger_entry …)' }),
        detail: z.string().nullable(),
        ref: z.object({ kind: z.enum(RECORD_KINDS), id: z.uuid() }).nullable(),
      }),
    )
    .meta({ description: 'What happened to it, oldest first, with the records involved; times ahead (a balance due, a cutoff) are what is planned' }),
  related: z.array(z.object({ kind: z.enum(RECORD_KINDS), id: z.uuid(), link, status: z.string(), amount: moneyString.nullable(), summary: z.string() })),
  ledger: z.array(LedgerEntry).meta({ description: 'The journal entries that name it (for a refund: those of its payment), oldest first' }),
});
export type RecordDto = z.input<typeof RecordDocument>;

export const LedgerBoardDocument = z.object({
  ok: z.boolean().meta({ description: 'Every check holds' }),
  checkedAt: z.iso.datetime(),
  checks: z.array(
    z.object({
      check: z.string().meta({
        description:
          'entries_balance, held_deposits_match_pledges, final_campaigns_hold_nothing, factory_payables, shop_payables, money_accounted_for, unexpected_money_refunded, refunds_pending_match_refunds, gateway_balance, then one per record kept in step (pledge_tallies, box_charges, unexpected_payments_refunded_once, payouts_pay_their_statements, commission_records)',
      }),
      ok: z.boolean(),
      detail: z.string().meta({ description: 'What was checked, or the violations found' }),
      violations: z.array(z.string()),
    }),
  ),
  totals: z.record(z.string(), signedMoneyString).meta({ description: 'The figures of `npm run cli -- reconcile`: received, refunded, held, fees …' }),
  accounts: z.array(
    z.object({
      account: z.string(),
      kind: z.string().meta({ description: 'The account without its subject: gateway, held_deposits, factory_payable, commission_payable, …' }),
      subjectId: z.string().nullable(),
      name: z.string().nullable().meta({ description: "The subject's name: a campaign's title, a factory's or shop's name" }),
      balance: signedMoneyString.meta({ description: 'Debits positive, credits (what is owed) negative' }),
    }),
  ),
  factories: z
    .array(
      z.object({
        factoryId: z.uuid(),
        name: z.string(),
        payable: signedMoneyString.meta({ description: "Owed now, as the ledger's factory payable says (statements not yet made included)" }),
        unpaidStatements: signedMoneyString.meta({ description: 'Of that, on statements no payout pays yet' }),
        inFlight: moneyString.meta({ description: 'In payouts sent and not yet confirmed' }),
        paidOut: moneyString,
      }),
    )
    .meta({ description: 'Owed to factories (the payouts module)' }),
  shops: z
    .array(
      z.object({
        shopId: z.uuid(),
        name: z.string(),
        payable: signedMoneyString.meta({ description: "Owed now, as the ledger's commission payable says" }),
        pending: signedMoneyString.meta({ description: 'Not yet final (the sale can still be refunded)' }),
        settled: signedMoneyString.meta({ description: 'On a statement, not yet paid' }),
        held: moneyString.meta({ description: "Of settled, held for an operator's review" }),
        paid: moneyString,
      }),
    )
    .meta({ description: 'Owed to shop owners: commission (the payouts module’s shop statements)' }),
});
export type LedgerBoardDto = z.input<typeof LedgerBoardDocument>;
