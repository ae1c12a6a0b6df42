import { In } from 'typeorm';
import type { CampaignRow, CampaignService } from '../campaigns';
import type { NotificationService } from '../notifications';
import { PaymentRow, type PaymentService } from '../payments';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { type Decimal, toFen } from '../platform/money';
import { ConsumerUnitsRow, PledgeRow, type PledgeStatus } from './pledge.entity';
import type { PledgeTallies } from './tallies';

/** What a move needs of a pledge: the columns a batch reads with its lock, no entity. */
export type MovingPledge = Pick<PledgeRow, 'id' | 'campaignId' | 'userId' | 'variantKey' | 'quantity' | 'status'>;

/** What a pledge of a succeeded campaign owes, per unit, and by when. */
export interface BalanceTerms {
  unitPrice: Decimal;
  creditedPerUnit: Decimal;
  balancePerUnit: Decimal;
  balanceDueAt: Date | null;
}

/** Told that a campaign is final and none of its pledges will move again (its money is settled). */
export interface CampaignFinalObserver {
  campaignFinal(tx: Tx, campaignId: string): Promise<void>;
}

/**
 * The moves of a pledge that the other use cases share (its cancellation, its payments, the expiry job
 * and Settlement): a status change with its tallies, the expiry of unpaid pledges, units going back to the
 * campaign, and a succeeded campaign completed once every pledge is final. Each runs in the caller's
 * transaction, on pledges the caller has locked.
 */
export class PledgeMoves {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      campaigns: CampaignService;
      payments: PaymentService;
      notifications: NotificationService;
      tallies: PledgeTallies;
      /** Told, in the transaction, once a campaign is final with every pledge settled (the payouts module's statements). */
      finalObservers?: readonly CampaignFinalObserver[];
    },
  ) {}

  /** The expiry job: pledges whose deposit never came release their units. A late payment is refunded when it lands. */
  async expire(pledgeIds: readonly string[]): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const unpaid = await tx.find(PledgeRow, { where: { id: In(pledgeIds), status: 'awaiting_deposit' }, order: { id: 'ASC' }, lock: this.deps.db.rowLock() });
      await this.expireInTx(
        tx,
        unpaid.filter((p) => p.expiresAt <= now),
      );
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
    await this.deps.payments.cancel(
      tx,
      pledges.map((p) => p.depositPaymentId),
    );
    await this.deps.notifications.notifyMany(
      tx,
      pledges.map((pledge) => ({
        userId: pledge.userId,
        kind: 'pledge_expired' as const,
        campaignId: pledge.campaignId,
        pledgeId: pledge.id,
        data: { title: campaigns.get(pledge.campaignId)!.title },
      })),
    );
  }

  /** A succeeded campaign is completed once every pledge is final. */
  async completeIfFinal(tx: Tx, campaignId: string): Promise<void> {
    const open = await tx.count(PledgeRow, { where: { campaignId, status: In(['awaiting_deposit', 'active', 'awaiting_balance']) } });
    if (open !== 0) return;
    await this.deps.campaigns.markCompleted(tx, campaignId);
    const { status } = (await this.deps.campaigns.find(tx, campaignId))!;
    if (['completed', 'cancelled'].includes(status)) for (const observer of this.deps.finalObservers ?? []) await observer.campaignFinal(tx, campaignId);
  }

  async setStatus(tx: Tx, pledge: PledgeRow, status: PledgeRow['status'], patch: Partial<PledgeRow> = {}): Promise<void> {
    await this.setStatuses(tx, [pledge], status, patch);
  }

  /** Moves pledges that are all in one status to another, with one UPDATE, and their tallies with them. */
  async setStatuses(tx: Tx, pledges: readonly PledgeRow[], status: PledgeRow['status'], patch: Partial<PledgeRow> = {}): Promise<void> {
    if (pledges.length === 0) return;
    const from = sharedStatus(pledges);
    const now = this.deps.clock.now();
    await this.checkedMove(tx, pledges, from, status, now, async () => {
      const result = await tx.update(PledgeRow, { id: In(pledges.map((p) => p.id)), status: from }, { ...patch, status, updatedAt: now });
      return result.affected ?? 0;
    });
    for (const pledge of pledges) Object.assign(pledge, patch, { status, updatedAt: now });
  }

  /**
   * Settlement's hot move: active pledges of a succeeded campaign now owe their balance. ONE plain UPDATE
   * whatever their quantities (the database multiplies the balance per unit by each pledge's quantity),
   * read and written as columns, no entities: a campaign of a million pledges settles in minutes.
   */
  async awaitBalance(tx: Tx, pledges: readonly MovingPledge[], terms: BalanceTerms): Promise<void> {
    if (pledges.length === 0) return;
    const from = sharedStatus(pledges);
    const now = this.deps.clock.now();
    await this.checkedMove(tx, pledges, from, 'awaiting_balance', now, async () => {
      const ids = pledges.map((p) => p.id);
      const { affected } = await this.deps.db.sql(
        tx,
        `UPDATE pledges SET status = 'awaiting_balance', unit_price_fen = ?, credited_per_unit_fen = ?, balance_fen = quantity * ?, balance_due_at = ?, updated_at = ?
         WHERE id IN (${ids.map(() => '?').join(', ')}) AND status = ?`,
        [toFen(terms.unitPrice), toFen(terms.creditedPerUnit), toFen(terms.balancePerUnit), terms.balanceDueAt, now, ...ids, from],
      );
      return affected;
    });
  }

  /**
   * The UPDATE `move` sends, with the tallies sent behind it on the same connection (one round trip):
   * should the UPDATE miss a pledge, the error rolls the transaction back, tallies included.
   */
  private async checkedMove(
    tx: Tx,
    pledges: readonly MovingPledge[],
    from: PledgeStatus,
    to: PledgeStatus,
    now: Date,
    move: () => Promise<number>,
  ): Promise<void> {
    const [affected] = await Promise.all([move(), this.deps.tallies.moved(tx, pledges, from, to, now)]);
    // The row locks (MySQL) or the single writer (SQLite) make this always hit; a miss is a bug, not a race to ignore.
    if (affected !== pledges.length)
      throw new Error(`of pledges ${pledges.map((p) => p.id).join(', ')}, ${pledges.length - affected} were not ${from} any more`);
  }

  async payment(tx: Tx, paymentId: string): Promise<PaymentRow> {
    return tx.findOneByOrFail(PaymentRow, { id: paymentId });
  }

  /**
   * The units of pledges of one campaign go back to it, and to their consumers' counts. With `whileOpenAt`, only if
   * the campaign's window is still open at that moment on its row (CampaignService.releaseUnitsWhileOpen): false,
   * and nothing given back, if it is not.
   */
  async releaseUnits(tx: Tx, campaign: CampaignRow, pledges: readonly PledgeRow[], whileOpenAt?: Date): Promise<boolean> {
    const unitsOf = (of: readonly PledgeRow[]) => of.reduce((total, p) => total + p.quantity, 0);
    if (whileOpenAt) {
      if (!(await this.deps.campaigns.releaseUnitsWhileOpen(tx, campaign.id, unitsOf(pledges), whileOpenAt))) return false;
    } else await this.deps.campaigns.releaseUnits(tx, campaign.id, unitsOf(pledges));
    if (campaign.perConsumerLimit === null) return true;
    for (const userId of [...new Set(pledges.map((p) => p.userId))].sort()) {
      const units = unitsOf(pledges.filter((p) => p.userId === userId));
      await tx
        .createQueryBuilder()
        .update(ConsumerUnitsRow)
        .set({ units: () => `units - ${Number(units)}` })
        .where('campaign_id = :c AND user_id = :u', { c: campaign.id, u: userId })
        .execute();
    }
    return true;
  }
}

function sharedStatus(pledges: readonly MovingPledge[]): PledgeStatus {
  const from = pledges[0].status;
  if (pledges.some((p) => p.status !== from)) throw new Error('pledges moved together must share their status');
  return from;
}
