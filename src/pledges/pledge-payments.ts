import { In } from 'typeorm';
import type { CampaignRow, CampaignService } from '../campaigns';
import type { NotificationService } from '../notifications';
import type { PaymentListener, PaymentRow, PaymentService, RefundRow } from '../payments';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { conflict } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { formatMoney } from '../platform/money';
import type { MoneyFlows } from './money-flows';
import { PledgeRow } from './pledge.entity';
import type { PledgeMoves } from './pledge-moves';
import { lockOwnPledge, paymentsOf } from './pledge-reads';

/**
 * A pledge's payments: the balance payment a consumer asks for, and what happens when a deposit or a
 * balance is paid, fails, or is refunded (the payments module calls these as the pledges' PaymentListener,
 * inside the notification's transaction).
 */
export class PledgePayments implements PaymentListener {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      campaigns: CampaignService;
      payments: PaymentService;
      notifications: NotificationService;
      flows: MoneyFlows;
      moves: PledgeMoves;
    },
  ) {}

  /** The balance payment of a pledge awaiting its balance; asking again returns the same pending payment. */
  async balancePayment(
    consumer: Principal & { role: 'consumer' },
    pledgeId: string,
  ): Promise<{ pledge: PledgeRow; payment: PaymentRow; payments: PaymentRow[] }> {
    const now = this.deps.clock.now();
    const result = await this.deps.db.transaction(async (tx) => {
      const pledge = await lockOwnPledge(this.deps.db, tx, consumer, pledgeId);
      if (pledge.status !== 'awaiting_balance') throw conflict('pledge_not_awaiting_balance', `This pledge is ${pledge.status}: there is no balance to pay.`);
      if (pledge.balanceDueAt && now >= pledge.balanceDueAt) throw conflict('balance_overdue', 'The balance was due and the deposit is forfeited.');
      if (pledge.balancePaymentId) {
        const existing = await this.deps.moves.payment(tx, pledge.balancePaymentId);
        if (existing.status === 'pending') return { pledge, payment: existing, payments: (await paymentsOf(tx, [pledgeId])).get(pledgeId)! };
      }
      const [payment] = await this.deps.payments.create(tx, [
        { kind: 'balance', pledgeId, campaignId: pledge.campaignId, userId: pledge.userId, amount: pledge.balance! },
      ]);
      pledge.balancePaymentId = payment.id;
      await tx.update(PledgeRow, { id: pledge.id }, { balancePaymentId: payment.id, updatedAt: now });
      return { pledge, payment, payments: (await paymentsOf(tx, [pledgeId])).get(pledgeId)! };
    });
    this.deps.payments.created(result.payment);
    return result;
  }

  // ---- PaymentListener: called by payments inside the notification's transaction ----

  /**
   * A deposit paid makes its pledge active: the money is held in the ledger and the consumer is told.
   * Deposits of pledges awaiting them are taken together: one statement per table for all of them. A
   * balance paid completes the purchase (and the campaign, once every pledge is final). Money for a
   * pledge that no longer wants it (expired, cancelled, paid twice) goes straight back.
   */
  async paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow; previousStatus: PaymentRow['status'] }[]): Promise<void> {
    const pledgeIds = settled.map((s) => s.payment.pledgeId);
    if (new Set(pledgeIds).size !== pledgeIds.length) throw new Error('two payments of one pledge settle in one batch');
    const pledges = new Map((await tx.find(PledgeRow, { where: { id: In(pledgeIds) }, lock: this.deps.db.rowLock() })).map((p) => [p.id, p]));
    const campaigns = new Map<string, CampaignRow>();
    for (const campaignId of new Set([...pledges.values()].map((p) => p.campaignId)))
      campaigns.set(campaignId, (await this.deps.campaigns.find(tx, campaignId))!);
    const deposits: { pledge: PledgeRow; payment: PaymentRow; campaign: CampaignRow }[] = [];
    for (const { payment, previousStatus } of settled) {
      const pledge = pledges.get(payment.pledgeId!);
      if (!pledge) throw new Error(`payment ${payment.id} has no pledge`);
      const campaign = campaigns.get(pledge.campaignId)!;
      if (payment.kind === 'deposit' && previousStatus === 'pending' && pledge.status === 'awaiting_deposit') {
        deposits.push({ pledge, payment, campaign });
      } else if (payment.kind === 'balance' && previousStatus === 'pending' && pledge.status === 'awaiting_balance' && pledge.balancePaymentId === payment.id) {
        await this.deps.moves.setStatus(tx, pledge, 'paid');
        await this.deps.flows.purchaseCompleted(tx, pledge, campaign, payment);
        await this.deps.notifications.notify(tx, {
          userId: pledge.userId,
          kind: 'balance_received',
          campaignId: campaign.id,
          pledgeId: pledge.id,
          data: { title: campaign.title, amount: formatMoney(payment.amount), shipDate: campaign.expectedShipDate },
        });
        await this.deps.moves.completeIfFinal(tx, campaign.id);
      } else {
        // The money arrived for a pledge that no longer wants it: it goes straight back.
        await this.deps.flows.refundLatePayment(tx, payment);
      }
    }
    if (deposits.length === 0) return;
    // Sent back to back on the transaction's connection: the batch waits for one round trip, not one per statement.
    await Promise.all([
      this.deps.moves.setStatuses(
        tx,
        deposits.map((d) => d.pledge),
        'active',
      ),
      this.deps.flows.depositsReceived(tx, deposits),
      this.deps.notifications.notifyMany(
        tx,
        deposits.map(({ pledge, payment, campaign }) => ({
          userId: pledge.userId,
          kind: 'deposit_received',
          campaignId: campaign.id,
          pledgeId: pledge.id,
          data: { title: campaign.title, amount: formatMoney(payment.amount) },
        })),
      ),
    ]);
  }

  /** A failed deposit expires its pledge at once (its units go back); a failed balance can be tried again until the due time. */
  async paymentFailed(tx: Tx, payment: PaymentRow): Promise<void> {
    const pledge = await tx.findOne(PledgeRow, { where: { id: payment.pledgeId! }, lock: this.deps.db.rowLock() });
    if (!pledge) return;
    if (payment.kind === 'deposit' && pledge.status === 'awaiting_deposit') await this.deps.moves.expireInTx(tx, [pledge]);
    // A failed balance payment leaves the pledge awaiting its balance: the consumer can try again until the due time.
    if (payment.kind === 'balance' && pledge.balancePaymentId === payment.id)
      await tx.update(PledgeRow, { id: pledge.id }, { balancePaymentId: null, updatedAt: this.deps.clock.now() });
  }

  /** A deposit is paid until its pledge's hold ends, a balance until it is due; what the provider shows is the campaign and which payment it is. */
  async checkoutTerms(tx: Tx, payment: PaymentRow): Promise<{ description: string; expiresAt: Date } | null> {
    const pledge = await tx.findOneBy(PledgeRow, { id: payment.pledgeId! });
    if (!pledge) return null;
    const expiresAt =
      payment.kind === 'deposit'
        ? pledge.status === 'awaiting_deposit' && pledge.depositPaymentId === payment.id && pledge.expiresAt
        : pledge.status === 'awaiting_balance' && pledge.balancePaymentId === payment.id && pledge.balanceDueAt;
    if (!expiresAt) return null;
    const campaign = (await this.deps.campaigns.find(tx, pledge.campaignId))!;
    return { description: `${campaign.title} · ${payment.kind === 'deposit' ? '定金' : '尾款'}`, expiresAt };
  }

  async refundsSent(tx: Tx, refunds: readonly (RefundRow & { userId: string })[]): Promise<void> {
    await this.deps.notifications.notifyMany(
      tx,
      refunds.map((refund) => ({
        userId: refund.userId,
        kind: 'refund_sent' as const,
        campaignId: refund.campaignId,
        pledgeId: refund.pledgeId,
        data: { amount: formatMoney(refund.amount), reason: refund.reason },
      })),
    );
  }
}
