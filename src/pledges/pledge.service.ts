import { In } from 'typeorm';
import { type CampaignRow, type CampaignService, type CampaignTerms, checkChoice, depositFor, isTakingPledges, pledgeWindow, variantKey, windowRefusal } from '../campaigns';
import type { NotificationService } from '../notifications';
import { type PaymentListener, PaymentRow, type PaymentService, type RefundRow } from '../payments';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, conflict, notFound } from '../platform/http/app-error';
import { idempotencyKeyReused } from '../platform/http/idempotency';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { formatMoney } from '../platform/money';
import { GroupCommit } from '../platform/group-commit';
import type { MoneyFlows } from './money-flows';
import { ConsumerUnitsRow, PledgeRow } from './pledge.entity';
import type { PledgeTallies } from './tallies';

/** What the pledges module's services are built from. */
export interface PledgeModuleDeps {
  db: Database;
  jobs: Jobs;
  clock: Clock;
  campaigns: CampaignService;
  payments: PaymentService;
  notifications: NotificationService;
  flows: MoneyFlows;
  tallies: PledgeTallies;
}

export interface PledgeDeps extends PledgeModuleDeps {
  depositTtlMinutes: number;
}

export const EXPIRE_JOB = 'pledges.expire-unpaid';

interface PledgeIntent {
  pledgeId: string;
  campaign: CampaignTerms;
  userId: string;
  variantKey: string;
  quantity: number;
  at: Date;
}

type Placed = { pledge: PledgeRow; payment: PaymentRow };

/** A consumer's pledges: placing, paying, cancelling, expiring. Deciding campaigns is in settlement.ts. */
export class PledgeService implements PaymentListener {
  constructor(private readonly deps: PledgeDeps) {}

  /**
   * Places a pledge: the pledge, its deposit payment, its expiry job and the units reserved against the
   * cap, in one transaction, shared with the other pledges arriving for the same campaign at the same
   * moment (group commit, see group-commit.ts). The cap is taken by one conditional update, in the last flight, so
   * the hot campaign row is locked only for the commit. `pledgeId` is the request's idempotency id when
   * it has one: a retry of a request whose pledge was already written gets that pledge back.
   */
  async create(consumer: Principal & { role: 'consumer' }, campaignId: string, input: { variant: Record<string, string>; quantity: number }, pledgeId: string = newId()): Promise<Placed & { payments: PaymentRow[] }> {
    // What never changes about a campaign comes from a cache; whether it is open, and whether units are
    // left, is decided by the conditional update, so a stale cache cannot let a pledge through.
    const campaign = await this.deps.campaigns.terms(campaignId);
    if (!campaign) throw notFound('The campaign');
    const variant = { key: checkChoice(campaign, input) };
    if (campaign.perConsumerLimit !== null) await this.ensureConsumerRow(campaignId, consumer.userId);
    let placed: Placed | AppError;
    try {
      placed = await this.groupCommit.submit(campaignId, { pledgeId, campaign, userId: consumer.userId, variantKey: variant.key, quantity: input.quantity, at: this.deps.clock.now() });
    } catch (error) {
      // The pledge exists already: an earlier attempt of this request wrote it and died before answering.
      if (!isUniqueViolation(error)) throw error;
      const earlier = await this.placedBefore(consumer, campaignId, input, pledgeId);
      if (!earlier) throw idempotencyKeyReused();
      return earlier;
    }
    if (placed instanceof AppError) throw placed;
    this.deps.payments.created(placed.payment);
    return { ...placed, payments: [placed.payment] };
  }

  /**
   * The pledge an earlier attempt of this request placed under `pledgeId` (its answer lost), with all its
   * payments; undefined if there is none. The same key used for a different pledge is a 422. A refused
   * retry is answered with this instead (the route's `recognise`), so that no check that has turned since
   * the first attempt (the per-consumer limit, the cap, the window, a rate limit) refuses a pledge made.
   */
  async placedBefore(consumer: Principal & { role: 'consumer' }, campaignId: string, input: { variant: Record<string, string>; quantity: number }, pledgeId: string): Promise<(Placed & { payments: PaymentRow[] }) | undefined> {
    const found = await this.deps.db.read(async (tx) => {
      const pledge = await tx.findOneBy(PledgeRow, { id: pledgeId });
      if (!pledge) return undefined;
      const payments = (await this.paymentsOf(tx, [pledgeId])).get(pledgeId)!;
      return { pledge, payment: payments.find((p) => p.id === pledge.depositPaymentId)!, payments };
    });
    if (!found) return undefined;
    const campaign = await this.deps.campaigns.terms(campaignId);
    const variant = campaign ? variantKey(campaign.options, input.variant) : undefined;
    const { pledge } = found;
    const same = pledge.userId === consumer.userId && pledge.campaignId === campaignId && variant && 'key' in variant && pledge.variantKey === variant.key && pledge.quantity === input.quantity;
    if (!same) throw idempotencyKeyReused();
    return found;
  }

  private readonly groupCommit = new GroupCommit<PledgeIntent, Placed | AppError>(
    (campaignId, intents) => this.placeBatch(campaignId, intents),
    (campaignId, intent) => this.placeAlone(campaignId, intent),
  );

  /** Many pledges in one transaction; throws (and each is then placed alone) if they do not all fit. */
  private placeBatch(campaignId: string, intents: PledgeIntent[]): Promise<(Placed | AppError)[]> {
    return this.deps.db.transaction(async (tx) => {
      const refused: (AppError | undefined)[] = [];
      for (const intent of intents) refused.push(await this.takeConsumerUnits(tx, intent));
      const { placed, reserved } = await this.insertAndReserve(tx, campaignId, intents.filter((_, i) => !refused[i]));
      if (!reserved) throw new Error('the batch does not fit');
      let next = 0;
      return intents.map((_, i) => refused[i] ?? placed[next++]);
    });
  }

  private async placeAlone(campaignId: string, intent: PledgeIntent): Promise<Placed | AppError> {
    try {
      return await this.deps.db.transaction(async (tx) => {
        const refused = await this.takeConsumerUnits(tx, intent);
        if (refused) return refused;
        const { placed, reserved } = await this.insertAndReserve(tx, campaignId, [intent]);
        if (!reserved) {
          const latest = await this.deps.campaigns.find(tx, campaignId);
          if (!latest || latest.status === 'draft') throw notFound('The campaign');
          assertOpen(latest, this.deps.clock.now());
          const left = Math.max(0, (latest.maxUnits ?? 0) - latest.reservedUnits);
          throw conflict('campaign_sold_out', left === 0 ? 'The campaign is sold out: every unit is taken.' : `Only ${left} units are left; pledge fewer.`);
        }
        return placed[0];
      });
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  }

  /**
   * Writes the pledges and takes their units with the campaign's conditional update, sent in the same
   * flight as the inserts: the hot row stays locked for about one round trip and the commit.
   */
  private async insertAndReserve(tx: Tx, campaignId: string, intents: readonly PledgeIntent[]): Promise<{ placed: Placed[]; reserved: boolean }> {
    const units = intents.reduce((total, intent) => total + intent.quantity, 0);
    const [placed, reserved] = await Promise.all([this.insertPledges(tx, intents), units === 0 || this.deps.campaigns.reserveUnits(tx, campaignId, units, this.deps.clock.now())]);
    return { placed, reserved };
  }

  /** The pledges, their deposit payments, their expiry jobs and their tallies: one multi-row statement each. */
  private async insertPledges(tx: Tx, intents: readonly PledgeIntent[]): Promise<Placed[]> {
    if (intents.length === 0) return [];
    const pledges = intents.map(({ pledgeId, campaign, userId, variantKey, quantity, at }) =>
      Object.assign(new PledgeRow(), {
        id: pledgeId, campaignId: campaign.id, userId, variantKey, quantity, status: 'awaiting_deposit', depositPerUnit: campaign.depositPerUnit, deposit: depositFor(campaign, quantity),
        unitPrice: null, creditedPerUnit: null, balance: null, balancePaymentId: null, expiresAt: new Date(at.getTime() + this.deps.depositTtlMinutes * 60_000),
        balanceDueAt: null, remindedAt: null, createdAt: at, updatedAt: at,
      }),
    );
    const payments = this.deps.payments.newPayments(pledges.map((p) => ({ kind: 'deposit', pledgeId: p.id, campaignId: p.campaignId, userId: p.userId, amount: p.deposit })));
    pledges.forEach((p, i) => (p.depositPaymentId = payments[i].id));
    // Sent back to back on the transaction's connection: the batch waits for one round trip, not one per statement.
    await Promise.all([
      this.deps.payments.insert(tx, payments),
      this.deps.db.insertEntities(tx, PledgeRow, pledges),
      this.deps.jobs.enqueueMany(tx, EXPIRE_JOB, pledges.map((p) => ({ payload: { pledgeId: p.id }, runAt: p.expiresAt, key: p.id }))),
      this.deps.tallies.placed(tx, pledges),
    ]);
    return pledges.map((pledge, i) => ({ pledge, payment: payments[i] }));
  }

  async get(actor: Principal, pledgeId: string): Promise<{ pledge: PledgeRow; payments: PaymentRow[] }> {
    return this.deps.db.read(async (tx) => {
      const pledge = await tx.findOneBy(PledgeRow, { id: pledgeId });
      if (!pledge || !(actor.role === 'operator' || (actor.role === 'consumer' && actor.userId === pledge.userId))) throw notFound('The pledge');
      return { pledge, payments: (await this.paymentsOf(tx, [pledgeId])).get(pledgeId)! };
    });
  }

  async listMine(userId: string, page: PageQuery): Promise<{ items: { pledge: PledgeRow; payments: PaymentRow[] }[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [pledges, total] = await tx.findAndCount(PledgeRow, { where: { userId }, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit });
      const payments = await this.paymentsOf(tx, pledges.map((p) => p.id));
      return { items: pledges.map((pledge) => ({ pledge, payments: payments.get(pledge.id)! })), total };
    });
  }

  /** Every payment of each pledge, oldest first: a pledge is shown with all of its payments, on every route. */
  private async paymentsOf(tx: Tx, pledgeIds: readonly string[]): Promise<Map<string, PaymentRow[]>> {
    const result = new Map<string, PaymentRow[]>(pledgeIds.map((id) => [id, []]));
    if (pledgeIds.length === 0) return result;
    for (const payment of await tx.find(PaymentRow, { where: { pledgeId: In([...pledgeIds]) }, order: { createdAt: 'ASC', id: 'ASC' } })) result.get(payment.pledgeId!)!.push(payment);
    return result;
  }

  /** While the campaign is open: an unpaid pledge is dropped, a paid one is refunded in full. */
  async cancel(consumer: Principal & { role: 'consumer' }, pledgeId: string): Promise<PledgeRow> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const pledge = await this.lockOwn(tx, consumer, pledgeId);
      const campaign = (await this.deps.campaigns.find(tx, pledge.campaignId))!;
      const open = isTakingPledges(campaign, now);
      if (!open || !['awaiting_deposit', 'active'].includes(pledge.status)) {
        throw conflict('pledge_not_cancellable', `A pledge can be cancelled only while its campaign is open and before the campaign is decided; this pledge is ${pledge.status} and the campaign ${open ? 'open' : campaign.status}.`);
      }
      const wasPaid = pledge.status === 'active';
      await this.setStatus(tx, pledge, 'cancelled');
      await this.releaseUnits(tx, campaign, [pledge]);
      if (wasPaid) await this.deps.flows.refundDeposit(tx, pledge, await this.payment(tx, pledge.depositPaymentId), 'pledge_cancelled');
      else await this.deps.payments.cancel(tx, pledge.depositPaymentId);
      return pledge;
    });
  }

  /** The balance payment of a pledge awaiting its balance; asking again returns the same pending payment. */
  async balancePayment(consumer: Principal & { role: 'consumer' }, pledgeId: string): Promise<{ pledge: PledgeRow; payment: PaymentRow; payments: PaymentRow[] }> {
    const now = this.deps.clock.now();
    const result = await this.deps.db.transaction(async (tx) => {
      const pledge = await this.lockOwn(tx, consumer, pledgeId);
      if (pledge.status !== 'awaiting_balance') throw conflict('pledge_not_awaiting_balance', `This pledge is ${pledge.status}: there is no balance to pay.`);
      if (pledge.balanceDueAt && now >= pledge.balanceDueAt) throw conflict('balance_overdue', 'The balance was due and the deposit is forfeited.');
      if (pledge.balancePaymentId) {
        const existing = await this.payment(tx, pledge.balancePaymentId);
        if (existing.status === 'pending') return { pledge, payment: existing, payments: (await this.paymentsOf(tx, [pledgeId])).get(pledgeId)! };
      }
      const [payment] = await this.deps.payments.create(tx, [{ kind: 'balance', pledgeId, campaignId: pledge.campaignId, userId: pledge.userId, amount: pledge.balance! }]);
      pledge.balancePaymentId = payment.id;
      await tx.update(PledgeRow, { id: pledge.id }, { balancePaymentId: payment.id, updatedAt: now });
      return { pledge, payment, payments: (await this.paymentsOf(tx, [pledgeId])).get(pledgeId)! };
    });
    this.deps.payments.created(result.payment);
    return result;
  }

  /** The expiry job: pledges whose deposit never came release their units. A late payment is refunded when it lands. */
  async expire(pledgeIds: readonly string[]): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const unpaid = await tx.find(PledgeRow, { where: { id: In(pledgeIds), status: 'awaiting_deposit' }, order: { id: 'ASC' }, lock: this.deps.db.rowLock() });
      await this.expireInTx(tx, unpaid.filter((p) => p.expiresAt <= now));
    });
  }

  /** Unpaid pledges (locked by the caller) expire: one UPDATE per campaign for their units, one INSERT for the notices. */
  async expireInTx(tx: Tx, pledges: readonly PledgeRow[]): Promise<void> {
    if (pledges.length === 0) return;
    const campaigns = new Map<string, CampaignRow>();
    for (const campaignId of new Set(pledges.map((p) => p.campaignId))) {
      const campaign = (await this.deps.campaigns.find(tx, campaignId))!;
      campaigns.set(campaignId, campaign);
      const ofCampaign = pledges.filter((p) => p.campaignId === campaignId);
      await this.setStatuses(tx, ofCampaign, 'expired');
      await this.releaseUnits(tx, campaign, ofCampaign);
    }
    await this.deps.payments.cancel(tx, pledges.map((p) => p.depositPaymentId));
    await this.deps.notifications.notifyMany(tx, pledges.map((pledge) => ({ userId: pledge.userId, kind: 'pledge_expired' as const, campaignId: pledge.campaignId, pledgeId: pledge.id, data: { title: campaigns.get(pledge.campaignId)!.title } })));
  }

  // ---- PaymentListener: called by payments inside the notification's transaction ----

  /** Deposits of pledges awaiting them are taken together: one statement per table for all of them. */
  async paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow; previousStatus: PaymentRow['status'] }[]): Promise<void> {
    const pledgeIds = settled.map((s) => s.payment.pledgeId);
    if (new Set(pledgeIds).size !== pledgeIds.length) throw new Error('two payments of one pledge settle in one batch');
    const pledges = new Map((await tx.find(PledgeRow, { where: { id: In(pledgeIds) }, lock: this.deps.db.rowLock() })).map((p) => [p.id, p]));
    const campaigns = new Map<string, CampaignRow>();
    for (const campaignId of new Set([...pledges.values()].map((p) => p.campaignId))) campaigns.set(campaignId, (await this.deps.campaigns.find(tx, campaignId))!);
    const deposits: { pledge: PledgeRow; payment: PaymentRow; campaign: CampaignRow }[] = [];
    for (const { payment, previousStatus } of settled) {
      const pledge = pledges.get(payment.pledgeId!);
      if (!pledge) throw new Error(`payment ${payment.id} has no pledge`);
      const campaign = campaigns.get(pledge.campaignId)!;
      if (payment.kind === 'deposit' && previousStatus === 'pending' && pledge.status === 'awaiting_deposit') {
        deposits.push({ pledge, payment, campaign });
      } else if (payment.kind === 'balance' && previousStatus === 'pending' && pledge.status === 'awaiting_balance' && pledge.balancePaymentId === payment.id) {
        await this.setStatus(tx, pledge, 'paid');
        await this.deps.flows.purchaseCompleted(tx, pledge, campaign, payment);
        await this.deps.notifications.notify(tx, { userId: pledge.userId, kind: 'balance_received', campaignId: campaign.id, pledgeId: pledge.id, data: { title: campaign.title, amount: formatMoney(payment.amount), shipDate: campaign.expectedShipDate } });
        await this.completeIfFinal(tx, campaign.id);
      } else {
        // The money arrived for a pledge that no longer wants it: it goes straight back.
        await this.deps.flows.refundLatePayment(tx, payment);
      }
    }
    if (deposits.length === 0) return;
    // Sent back to back on the transaction's connection: the batch waits for one round trip, not one per statement.
    await Promise.all([
      this.setStatuses(tx, deposits.map((d) => d.pledge), 'active'),
      this.deps.flows.depositsReceived(tx, deposits),
      this.deps.notifications.notifyMany(
        tx,
        deposits.map(({ pledge, payment, campaign }) => ({ userId: pledge.userId, kind: 'deposit_received', campaignId: campaign.id, pledgeId: pledge.id, data: { title: campaign.title, amount: formatMoney(payment.amount) } })),
      ),
    ]);
  }

  async paymentFailed(tx: Tx, payment: PaymentRow): Promise<void> {
    const pledge = await tx.findOne(PledgeRow, { where: { id: payment.pledgeId! }, lock: this.deps.db.rowLock() });
    if (!pledge) return;
    if (payment.kind === 'deposit' && pledge.status === 'awaiting_deposit') await this.expireInTx(tx, [pledge]);
    // A failed balance payment leaves the pledge awaiting its balance: the consumer can try again until the due time.
    if (payment.kind === 'balance' && pledge.balancePaymentId === payment.id) await tx.update(PledgeRow, { id: pledge.id }, { balancePaymentId: null, updatedAt: this.deps.clock.now() });
  }

  async refundsSent(tx: Tx, refunds: readonly (RefundRow & { userId: string })[]): Promise<void> {
    await this.deps.notifications.notifyMany(tx, refunds.map((refund) => ({ userId: refund.userId, kind: 'refund_sent' as const, campaignId: refund.campaignId, pledgeId: refund.pledgeId, data: { amount: formatMoney(refund.amount), reason: refund.reason } })));
  }


  // ---- shared with settlement ----

  /** A succeeded campaign is completed once every pledge is final. */
  async completeIfFinal(tx: Tx, campaignId: string): Promise<void> {
    const open = await tx.count(PledgeRow, { where: { campaignId, status: In(['awaiting_deposit', 'active', 'awaiting_balance']) } });
    if (open === 0) await this.deps.campaigns.markCompleted(tx, campaignId);
  }

  async setStatus(tx: Tx, pledge: PledgeRow, status: PledgeRow['status'], patch: Partial<PledgeRow> = {}): Promise<void> {
    await this.setStatuses(tx, [pledge], status, patch);
  }

  /** Moves pledges that are all in one status to another, with one UPDATE, and their tallies with them. */
  async setStatuses(tx: Tx, pledges: readonly PledgeRow[], status: PledgeRow['status'], patch: Partial<PledgeRow> = {}): Promise<void> {
    if (pledges.length === 0) return;
    const from = pledges[0].status;
    if (pledges.some((p) => p.status !== from)) throw new Error('pledges moved together must share their status');
    const now = this.deps.clock.now();
    const result = await tx.update(PledgeRow, { id: In(pledges.map((p) => p.id)), status: from }, { ...patch, status, updatedAt: now });
    // The row locks (MySQL) or the single writer (SQLite) make this always hit; a miss is a bug, not a race to ignore.
    if (result.affected !== pledges.length) throw new Error(`of pledges ${pledges.map((p) => p.id).join(', ')}, ${pledges.length - (result.affected ?? 0)} were not ${from} any more`);
    await this.deps.tallies.moved(tx, pledges, from, status, now);
    for (const pledge of pledges) Object.assign(pledge, patch, { status, updatedAt: now });
  }

  async payment(tx: Tx, paymentId: string): Promise<PaymentRow> {
    return tx.findOneByOrFail(PaymentRow, { id: paymentId });
  }

  /** The units of pledges of one campaign go back to it, and to their consumers' counts. */
  private async releaseUnits(tx: Tx, campaign: CampaignRow, pledges: readonly PledgeRow[]): Promise<void> {
    const unitsOf = (of: readonly PledgeRow[]) => of.reduce((total, p) => total + p.quantity, 0);
    await this.deps.campaigns.releaseUnits(tx, campaign.id, unitsOf(pledges));
    if (campaign.perConsumerLimit === null) return;
    for (const userId of [...new Set(pledges.map((p) => p.userId))].sort()) {
      const units = unitsOf(pledges.filter((p) => p.userId === userId));
      await tx.createQueryBuilder().update(ConsumerUnitsRow).set({ units: () => `units - ${Number(units)}` }).where('campaign_id = :c AND user_id = :u', { c: campaign.id, u: userId }).execute();
    }
  }

  /**
   * The per-consumer limit, held under concurrency by one conditional update on the consumer's row.
   * The row is created beforehand, in a transaction of its own (ensureConsumerRow): inserting it inside
   * the pledge's transaction would take gap and shared locks that two requests of the same consumer
   * deadlock on (MySQL).
   */
  private async takeConsumerUnits(tx: Tx, { campaign, userId, quantity }: PledgeIntent): Promise<AppError | undefined> {
    if (campaign.perConsumerLimit === null) return undefined;
    const taken = await this.deps.db.sql(tx, 'UPDATE campaign_consumer_units SET units = units + ? WHERE campaign_id = ? AND user_id = ? AND units + ? <= ?', [quantity, campaign.id, userId, quantity, campaign.perConsumerLimit]);
    return taken.affected === 1 ? undefined : conflict('per_consumer_limit', `Each consumer may pledge at most ${campaign.perConsumerLimit} units in this campaign, counting the pledges you already have.`);
  }

  private async ensureConsumerRow(campaignId: string, userId: string): Promise<void> {
    // Rows are never deleted, so one known to exist need not be inserted again.
    const key = `${campaignId}:${userId}`;
    if (this.knownConsumerRows.has(key)) return;
    await this.deps.db.statement((tx) => tx.createQueryBuilder().insert().into(ConsumerUnitsRow).values({ campaignId, userId, units: 0 }).orIgnore().updateEntity(false).execute());
    if (this.knownConsumerRows.size >= 100_000) this.knownConsumerRows.clear();
    this.knownConsumerRows.add(key);
  }

  private readonly knownConsumerRows = new Set<string>();

  private async lockOwn(tx: Tx, consumer: { userId: string }, pledgeId: string): Promise<PledgeRow> {
    const pledge = await tx.findOne(PledgeRow, { where: { id: pledgeId }, lock: this.deps.db.rowLock() });
    if (!pledge || pledge.userId !== consumer.userId) throw notFound('The pledge');
    return pledge;
  }
}

function assertOpen(campaign: CampaignRow, now: Date): void {
  const window = pledgeWindow(campaign, now);
  if (!window.open) throw new AppError(409, 'campaign_not_open', windowRefusal(campaign, window));
}
