import { In, IsNull, LessThanOrEqual } from 'typeorm';
import { z } from 'zod';
import {
  type CampaignRow,
  type CampaignService,
  type DecisionObserver,
  type PledgesAtClose,
  balanceFor,
  balancePerUnit,
  creditedPerUnit,
  thresholdOf,
  variantText,
} from '../campaigns';
import type { NotificationInput, NotificationService } from '../notifications';
import type { PaymentService } from '../payments';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { Jobs } from '../platform/jobs';
import { type Decimal, formatMoney, fromFen } from '../platform/money';
import type { MoneyFlows } from './money-flows';
import { HOLDING_STATUSES, PledgeRow, type PledgeStatus } from './pledge.entity';
import type { MovingPledge, PledgeMoves } from './pledge-moves';
import type { PledgeTallies } from './tallies';

export const SETTLE_JOB = 'pledges.settle-campaign';
export const FORFEIT_JOB = 'pledges.forfeit-unpaid';
export const REMIND_JOB = 'pledges.remind-balance';
/** Pledges per transaction: a refund writes a payment, a refund and ledger entries for each pledge. */
const BATCH = 100;
/** A success writes three statements for the whole batch: larger batches save round trips and commits. */
const SUCCESS_BATCH = 1000;
export const byCampaign = z.strictObject({ campaignId: z.string() });
/**
 * How long after the balance due time a balance payment still in flight (asked for before it, its gateway's answer not
 * in yet) is waited for before its deposit is forfeited: as long as a deposit in flight at the deadline is (the 15
 * minutes of its TTL). A checkout expires at the due time, so money the gateway confirms later was paid before it.
 */
export const BALANCE_IN_FLIGHT_GRACE_MS = 15 * 60_000;

/**
 * Deciding a campaign at its deadline and settling every pledge after it. Each step is a job that can
 * run twice, or stop half way and run again: it only ever moves pledges that are still in the state it
 * moves them from, so every pledge is settled exactly once.
 */
export class Settlement implements PledgesAtClose, DecisionObserver {
  constructor(
    private readonly deps: {
      db: Database;
      jobs: Jobs;
      clock: Clock;
      campaigns: CampaignService;
      payments: PaymentService;
      notifications: NotificationService;
      flows: MoneyFlows;
      tallies: PledgeTallies;
      moves: PledgeMoves;
      balanceReminderHours: number;
    },
  ) {}

  // ---- PledgesAtClose: what the campaigns module's close job reads and does ----

  async lastDepositExpiry(tx: Tx, campaignId: string): Promise<Date | undefined> {
    const unpaid = await tx.find(PledgeRow, { select: { expiresAt: true }, where: { campaignId, status: 'awaiting_deposit' } });
    return unpaid.length === 0 ? undefined : new Date(Math.max(...unpaid.map((p) => p.expiresAt.getTime())));
  }

  async expireUnpaid(tx: Tx, campaignId: string): Promise<void> {
    await this.deps.moves.expireInTx(tx, await tx.find(PledgeRow, { where: { campaignId, status: 'awaiting_deposit' } }));
  }

  async paidUnitsByVariant(tx: Tx, campaignId: string): Promise<Map<string, number>> {
    const tallies = (await this.deps.tallies.byVariant(tx, [campaignId])).get(campaignId)!;
    return new Map(tallies.map((t) => [t.variantKey, t.active]).filter(([, units]) => units !== 0) as [string, number][]);
  }

  // ---- DecisionObserver ----

  /**
   * Inside the deciding transaction: the settle job moves the pledges, in batches. The balance reminder
   * and the forfeit are scheduled by the settle job once it has moved every pledge to awaiting_balance:
   * scheduled here, a reminder due before that (any window up to the reminder lead time) found no pledge
   * awaiting its balance, and never came again. A cancel after success settles again, under its own key.
   */
  async campaignDecided(tx: Tx, campaign: CampaignRow): Promise<void> {
    await this.deps.jobs.enqueue(
      tx,
      SETTLE_JOB,
      { campaignId: campaign.id },
      { key: campaign.status === 'cancelled' ? `${campaign.id}:cancelled` : campaign.id },
    );
  }

  /**
   * Moves every pledge of a decided or cancelled campaign to where the decision puts it, a batch per
   * transaction, one status at a time. A cursor per status (the last id moved) starts each batch where the
   * last one ended: scanned from the start, each batch would walk again over the index entries of the
   * pledges already moved, which InnoDB keeps until its purge gets to them, and the settle would slow down
   * with every batch (quadratic on a busy server). The cursor only saves reading: past its end the status is
   * read once more from the start, and the settle ends only when no pledge is left in any of them.
   */
  async settle(campaignId: string): Promise<void> {
    const after = new Map<PledgeStatus, string>();
    for (;;) {
      const moved = await this.deps.db.transaction(async (tx) => {
        const campaign = (await this.deps.campaigns.find(tx, campaignId))!;
        const from: PledgeStatus[] =
          campaign.status === 'cancelled'
            ? ['awaiting_deposit', 'active', 'awaiting_balance', 'paid']
            : ['succeeded', 'failed', 'completed'].includes(campaign.status)
              ? ['active']
              : [];
        const refundsAll = campaign.status === 'cancelled' || campaign.status === 'failed';
        const size = refundsAll ? BATCH : SUCCESS_BATCH;
        for (const status of from) {
          let batch = await this.lockBatch(tx, campaignId, status, after.get(status) ?? '', size);
          if (batch.length === 0 && after.delete(status)) batch = await this.lockBatch(tx, campaignId, status, '', size);
          if (batch.length === 0) continue;
          after.set(status, batch.at(-1)!.id);
          const made = (p: MovingPledge) => !refundsAll && !campaign.droppedVariants?.includes(p.variantKey);
          const [produced, refunded] = [batch.filter(made), batch.filter((p) => !made(p))];
          if (refunded.length > 0)
            for (const pledge of await tx.findBy(PledgeRow, { id: In(refunded.map((p) => p.id)) })) await this.refundOne(tx, campaign, pledge);
          await this.awaitBalance(tx, campaign, produced);
          return batch.length;
        }
        return 0;
      });
      if (moved === 0) break;
    }
    await this.deps.db.transaction(async (tx) => {
      await this.deps.moves.completeIfFinal(tx, campaignId);
      await this.scheduleBalanceDeadline(tx, campaignId);
    });
  }

  /**
   * Up to `size` of the campaign's pledges in a status with an id after `after`, locked, in id order: the order of
   * the index (campaign, status), which is forced (the index on status alone would read and lock other campaigns'
   * pledges). Read as plain columns: a batch of a thousand hydrated as entities costs more CPU than its statements.
   */
  private async lockBatch(tx: Tx, campaignId: string, status: PledgeStatus, after: string, size: number): Promise<MovingPledge[]> {
    const { rows } = await this.deps.db.sql<{
      id: string;
      campaign_id: string;
      user_id: string;
      variant_key: string;
      quantity: number | string;
      status: PledgeStatus;
    }>(
      tx,
      `SELECT id, campaign_id, user_id, variant_key, quantity, status FROM pledges${this.deps.db.forceIndex('ix_pledges_campaign_status')} WHERE campaign_id = ? AND status = ? AND id > ? ORDER BY id LIMIT ${size}${this.deps.db.rowLockClause()}`,
      [campaignId, status, after],
    );
    return rows.map((r) => ({
      id: r.id,
      campaignId: r.campaign_id,
      userId: r.user_id,
      variantKey: r.variant_key,
      quantity: Number(r.quantity),
      status: r.status,
    }));
  }

  /**
   * Every pledge of a succeeded campaign now awaits its balance: the reminder (its lead time before the
   * due time, or at once when the window is shorter) and the forfeit at the due time. Keyed: a settle
   * run again schedules nothing twice.
   */
  private async scheduleBalanceDeadline(tx: Tx, campaignId: string): Promise<void> {
    const campaign = (await this.deps.campaigns.find(tx, campaignId))!;
    if (campaign.status !== 'succeeded' || !campaign.balanceDueAt) return;
    const now = this.deps.clock.now();
    const remindAt = new Date(campaign.balanceDueAt.getTime() - this.deps.balanceReminderHours * 3600_000);
    await this.deps.jobs.enqueue(tx, REMIND_JOB, { campaignId }, { runAt: remindAt > now ? remindAt : now, key: campaignId });
    await this.deps.jobs.enqueue(tx, FORFEIT_JOB, { campaignId }, { runAt: campaign.balanceDueAt, key: campaignId });
  }

  /**
   * At the balance due time, pledges still without their balance forfeit their deposit to the factory. A pledge whose
   * balance payment is still pending (paid at the last moment, the gateway's notification on its way) is given until
   * BALANCE_IN_FLIGHT_GRACE_MS after the due time, when this job comes back for it: forfeited at once, the consumer who
   * paid in time lost the deposit and had the balance refunded as late money.
   */
  async forfeitUnpaid(campaignId: string): Promise<void> {
    const now = this.deps.clock.now();
    let graceEnds: Date | undefined;
    for (;;) {
      const moved = await this.deps.db.transaction(async (tx) => {
        const campaign = (await this.deps.campaigns.find(tx, campaignId))!;
        if (campaign.status !== 'succeeded') return 0;
        if (campaign.balanceDueAt && campaign.balanceDueAt > now)
          throw new Error(`balance of campaign ${campaignId} is not due until ${campaign.balanceDueAt.toISOString()}`);
        // Awaiting its balance with a balance payment means that payment is pending: a declined one is let go of
        // (PledgePayments.paymentFailed) and a paid one makes the pledge paid.
        const inGrace = campaign.balanceDueAt !== null && now.getTime() < campaign.balanceDueAt.getTime() + BALANCE_IN_FLIGHT_GRACE_MS;
        if (inGrace) graceEnds = new Date(campaign.balanceDueAt!.getTime() + BALANCE_IN_FLIGHT_GRACE_MS);
        const batch = await tx.find(PledgeRow, {
          where: { campaignId, status: 'awaiting_balance', balanceDueAt: LessThanOrEqual(now), ...(inGrace && { balancePaymentId: IsNull() }) },
          take: BATCH,
          lock: this.deps.db.rowLock(),
        });
        for (const pledge of batch) {
          await this.deps.moves.setStatus(tx, pledge, 'forfeited');
          if (pledge.balancePaymentId) await this.deps.payments.cancel(tx, pledge.balancePaymentId);
          await this.deps.flows.forfeitDeposit(tx, pledge, campaign);
          await this.deps.notifications.notify(tx, {
            userId: pledge.userId,
            kind: 'deposit_forfeited',
            campaignId,
            pledgeId: pledge.id,
            data: { title: campaign.title, deposit: formatMoney(pledge.deposit), dueAt: campaign.balanceDueAt!.toISOString() },
          });
        }
        return batch.length;
      });
      if (moved === 0) break;
    }
    await this.deps.db.transaction(async (tx) => {
      await this.deps.moves.completeIfFinal(tx, campaignId);
      // Balances in flight at the due time: this job again once their grace is over (keyed: scheduled once).
      if (graceEnds && (await tx.countBy(PledgeRow, { campaignId, status: 'awaiting_balance' })) > 0)
        await this.deps.jobs.enqueue(tx, FORFEIT_JOB, { campaignId }, { runAt: graceEnds, key: `${campaignId}:in-flight` });
    });
  }

  async remind(campaignId: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const campaign = (await this.deps.campaigns.find(tx, campaignId))!;
      if (campaign.status !== 'succeeded') return;
      // Locked, and read as they are now: a second run of the job (another worker, a takeover) waits for this
      // one and then finds these pledges reminded, so each consumer is reminded once.
      const due = await tx.find(PledgeRow, {
        where: { campaignId, status: 'awaiting_balance', remindedAt: IsNull() },
        order: { id: 'ASC' },
        lock: this.deps.db.rowLock(),
      });
      for (const pledge of due) {
        await tx.update(PledgeRow, { id: pledge.id }, { remindedAt: this.deps.clock.now() });
        await this.deps.notifications.notify(tx, {
          userId: pledge.userId,
          kind: 'balance_reminder',
          campaignId,
          pledgeId: pledge.id,
          data: { title: campaign.title, balance: formatMoney(pledge.balance!), dueAt: campaign.balanceDueAt!.toISOString() },
        });
      }
    });
  }

  /**
   * Final campaigns whose settle job has run: their pledges have left the held deposits, so the ledger
   * must hold nothing for them. One still settling (its job waiting, retried or running) holds deposits
   * until the job gets to its pledges, and is left out.
   */
  async settledFinalCampaignIds(tx: Tx): Promise<string[]> {
    const settling = new Set((await this.deps.jobs.pendingPayloads(tx, SETTLE_JOB)).map((payload) => byCampaign.parse(payload).campaignId));
    return (await this.deps.campaigns.finalCampaignIds(tx)).filter((id) => !settling.has(id));
  }

  async heldDepositsByCampaign(tx: Tx): Promise<Map<string, Decimal>> {
    const rows = await tx
      .createQueryBuilder(PledgeRow, 'p')
      .select('p.campaign_id', 'campaignId')
      .addSelect('SUM(p.deposit_fen)', 'fen')
      .where('p.status IN (:...statuses)', { statuses: HOLDING_STATUSES })
      .groupBy('p.campaign_id')
      .getRawMany<{ campaignId: string; fen: string | number }>();
    return new Map(rows.map((r) => [r.campaignId, fromFen(String(r.fen))]));
  }

  /** A pledge of a cancelled or failed campaign, or of a variant too few chose: everything paid goes back. */
  private async refundOne(tx: Tx, campaign: CampaignRow, pledge: PledgeRow): Promise<void> {
    const notify = (
      input:
        | Omit<Extract<NotificationInput, { kind: 'campaign_failed' }>, 'userId'>
        | Omit<Extract<NotificationInput, { kind: 'campaign_cancelled' }>, 'userId'>
        | Omit<Extract<NotificationInput, { kind: 'variant_not_produced' }>, 'userId'>,
    ) => this.deps.notifications.notify(tx, { ...input, userId: pledge.userId, campaignId: campaign.id, pledgeId: pledge.id } as NotificationInput);
    const title = campaign.title;
    // A pledge of a variant the decision dropped is refunded as not produced, also when a cancel comes before the
    // settle job reached it: the decision came first, and the cancel owes it no compensation (defaultedOn).
    const notProduced = campaign.finalUnitPrice !== null && campaign.droppedVariants?.includes(pledge.variantKey) === true;

    if (campaign.status === 'cancelled' && !notProduced) {
      if (pledge.status === 'awaiting_deposit') {
        await this.deps.moves.setStatus(tx, pledge, 'cancelled');
        await this.deps.payments.cancel(tx, pledge.depositPaymentId);
        return notify({ kind: 'campaign_cancelled', data: { title } });
      }
      const depositPayment = await this.deps.moves.payment(tx, pledge.depositPaymentId);
      if (pledge.status === 'paid') {
        await this.deps.moves.setStatus(tx, pledge, 'refunded');
        const balancePayment = pledge.balancePaymentId ? await this.deps.moves.payment(tx, pledge.balancePaymentId) : undefined;
        await this.deps.flows.refundPurchase(tx, pledge, campaign, depositPayment, balancePayment);
      } else {
        await this.deps.moves.setStatus(tx, pledge, 'refunded');
        if (pledge.balancePaymentId) await this.deps.payments.cancel(tx, pledge.balancePaymentId);
        await this.deps.flows.refundDeposit(tx, pledge, depositPayment, 'campaign_cancelled');
      }
      if (!defaultedOn(campaign, pledge)) return notify({ kind: 'campaign_cancelled', data: { title } });
      await this.deps.flows.compensateDeposit(tx, pledge, campaign, depositPayment);
      return notify({ kind: 'campaign_cancelled', data: { title, compensation: formatMoney(pledge.deposit) } });
    }
    if (campaign.status === 'failed' && !notProduced) {
      await this.deps.moves.setStatus(tx, pledge, 'refunded');
      await this.deps.flows.refundDeposit(tx, pledge, await this.deps.moves.payment(tx, pledge.depositPaymentId), 'campaign_failed');
      return notify({ kind: 'campaign_failed', data: { title, threshold: thresholdOf(campaign), deposit: formatMoney(pledge.deposit) } });
    }
    await this.deps.moves.setStatus(tx, pledge, 'refunded');
    await this.deps.flows.refundDeposit(tx, pledge, await this.deps.moves.payment(tx, pledge.depositPaymentId), 'variant_not_produced');
    return notify({
      kind: 'variant_not_produced',
      data: { title, variant: variantText(campaign.options, pledge.variantKey), deposit: formatMoney(pledge.deposit) },
    });
  }

  /**
   * Pledges of a succeeded campaign: each now owes the balance at the final price. Moved with one UPDATE
   * and told with one INSERT, sent back to back: a batch costs one round trip and its commit.
   */
  private async awaitBalance(tx: Tx, campaign: CampaignRow, pledges: readonly MovingPledge[]): Promise<void> {
    if (pledges.length === 0) return;
    const price = campaign.finalUnitPrice!;
    const perUnit = balancePerUnit(campaign, price);
    const terms = { unitPrice: price, creditedPerUnit: creditedPerUnit(campaign, price), balancePerUnit: perUnit, balanceDueAt: campaign.balanceDueAt };
    await Promise.all([
      this.deps.moves.awaitBalance(tx, pledges, terms),
      this.deps.notifications.notifyMany(
        tx,
        pledges.map((pledge) => ({
          userId: pledge.userId,
          kind: 'campaign_succeeded' as const,
          campaignId: campaign.id,
          pledgeId: pledge.id,
          data: {
            title: campaign.title,
            unitPrice: formatMoney(price),
            balance: formatMoney(balanceFor(campaign, price, pledge.quantity)),
            dueAt: campaign.balanceDueAt!.toISOString(),
          },
        })),
      ),
    ]);
    if (perUnit.isZero()) {
      // The deposit (with its credit) covers the whole price: every purchase is complete at once.
      const owing = await tx.findBy(PledgeRow, { id: In(pledges.map((p) => p.id)) });
      await this.deps.moves.setStatuses(tx, owing, 'paid');
      for (const pledge of owing) await this.deps.flows.purchaseCompleted(tx, pledge, campaign, undefined);
    }
  }
}

/**
 * A campaign cancelled after it succeeded is the seller's default on every sale the success made: the
 * pledges whose deposit was paid and whose variant was to be made. (Cancelled before a decision, the sale
 * was still conditional on the campaign succeeding: the deposit comes back once.)
 */
function defaultedOn(campaign: CampaignRow, pledge: PledgeRow): boolean {
  return campaign.finalUnitPrice !== null && !campaign.droppedVariants?.includes(pledge.variantKey);
}
