import type { CampaignRow } from '../campaigns';
import { accounts, type LedgerService } from '../ledger';
import type { PaymentRow, PaymentService } from '../payments';
import type { Tx } from '../platform/database';
import { type Decimal, ZERO, roundToFen } from '../platform/money';
import type { PledgeRow } from './pledge.entity';

/**
 * What pays shop owners on a sale (the commissions module, wired in app.ts; docs/shop-owners.md): told in
 * the sale's own transaction when a purchase completes and when a completed purchase is refunded.
 */
export interface SaleCommissions {
  purchaseCompleted(tx: Tx, purchase: { pledgeId: string; campaignId: string; buyerId: string; shopId: string | null; price: Decimal }): Promise<void>;
  purchaseRefunded(tx: Tx, refunded: { pledgeId: string; campaignId: string }): Promise<void>;
}

/**
 * Every movement of a pledge's money: the ledger entry and, where money goes back, the refund, always
 * in the caller's transaction beside the state change. Debits are positive, credits negative.
 */
export class MoneyFlows {
  constructor(
    private readonly ledger: LedgerService,
    private readonly payments: PaymentService,
    private readonly platformFeeRate: string,
    private readonly commissions: SaleCommissions,
  ) {}

  /** Deposits arrived at the gateway: held for the consumers while the campaign runs. */
  async depositsReceived(tx: Tx, received: readonly { pledge: PledgeRow; payment: PaymentRow }[]): Promise<void> {
    await this.ledger.postMany(
      tx,
      received.map(({ pledge, payment }) => ({
        kind: 'deposit_received',
        refs: { campaignId: pledge.campaignId, pledgeId: pledge.id, paymentId: payment.id },
        lines: [
          { account: accounts.gateway, amount: payment.amount },
          { account: accounts.heldDeposits(pledge.campaignId), amount: payment.amount.negated() },
        ],
      })),
    );
  }

  /** The whole deposit goes back (campaign failed or cancelled, variant not produced, consumer cancelled). */
  async refundDeposit(tx: Tx, pledge: PledgeRow, depositPayment: PaymentRow, reason: string): Promise<void> {
    await this.ledger.post(tx, {
      kind: 'deposit_refunded',
      refs: { campaignId: pledge.campaignId, pledgeId: pledge.id, paymentId: depositPayment.id },
      lines: [
        { account: accounts.heldDeposits(pledge.campaignId), amount: pledge.deposit },
        { account: accounts.refundsPending, amount: pledge.deposit.negated() },
      ],
    });
    await this.payments.requestRefund(tx, { payment: depositPayment, amount: pledge.deposit, reason });
  }

  /** Money arrived for a pledge that no longer wants it (expired or cancelled before the gateway confirmed): it all goes back. */
  async refundLatePayment(tx: Tx, payment: PaymentRow): Promise<void> {
    await this.ledger.post(tx, {
      kind: 'late_payment_refunded',
      refs: { campaignId: payment.campaignId, pledgeId: payment.pledgeId, paymentId: payment.id },
      lines: [
        { account: accounts.gateway, amount: payment.amount },
        { account: accounts.refundsPending, amount: payment.amount.negated() },
      ],
    });
    await this.payments.requestRefund(tx, { payment, amount: payment.amount, reason: 'late_payment' });
  }

  /**
   * The purchase is complete: the held deposit and the balance just received become the price, split
   * between the platform's fee (rounded half up, once) and what the factory is owed; a shop owner's
   * commission on it is posted beside.
   */
  async purchaseCompleted(tx: Tx, pledge: PledgeRow, campaign: CampaignRow, balancePayment: PaymentRow | undefined): Promise<void> {
    const balance = balancePayment?.amount ?? pledge.balance!;
    const price = pledge.deposit.plus(balance);
    const { fee, factoryShare } = this.split(price);
    await this.ledger.post(tx, {
      kind: 'purchase_completed',
      refs: { campaignId: pledge.campaignId, pledgeId: pledge.id, paymentId: balancePayment?.id },
      lines: [
        { account: accounts.heldDeposits(pledge.campaignId), amount: pledge.deposit },
        { account: accounts.gateway, amount: balance },
        { account: accounts.platformFees, amount: fee.negated() },
        { account: accounts.factoryPayable(campaign.factoryId), amount: factoryShare.negated() },
      ],
    });
    await this.commissions.purchaseCompleted(tx, { pledgeId: pledge.id, campaignId: pledge.campaignId, buyerId: pledge.userId, shopId: pledge.shopId, price });
  }

  /**
   * A completed purchase undone (an operator's cancel of the campaign, or an after-sale refund): the
   * factory's share and the fee go back to the consumer, and what it earned a shop owner is clawed back.
   */
  async refundPurchase(
    tx: Tx,
    pledge: PledgeRow,
    campaign: CampaignRow,
    depositPayment: PaymentRow,
    balancePayment: PaymentRow | undefined,
    reason: 'campaign_cancelled' | 'after_sale' = 'campaign_cancelled',
  ): Promise<void> {
    const total = pledge.deposit.plus(balancePayment?.amount ?? 0);
    // The fee this purchase was charged, as the ledger holds it, not the rate configured now: after a change of
    // PLATFORM_FEE_RATE the platform gave back another fee than it took, and the factory kept the difference.
    const fee = (await this.ledger.balancesOfPledges(tx, accounts.platformFees, [pledge.id])).get(pledge.id)?.negated() ?? ZERO;
    const factoryShare = total.minus(fee);
    await this.ledger.post(tx, {
      kind: 'purchase_refunded',
      refs: { campaignId: pledge.campaignId, pledgeId: pledge.id },
      lines: [
        { account: accounts.platformFees, amount: fee },
        { account: accounts.factoryPayable(campaign.factoryId), amount: factoryShare },
        { account: accounts.refundsPending, amount: total.negated() },
      ],
    });
    await this.payments.requestRefund(tx, { payment: depositPayment, amount: pledge.deposit, reason });
    if (balancePayment && !balancePayment.amount.isZero())
      await this.payments.requestRefund(tx, { payment: balancePayment, amount: balancePayment.amount, reason });
    await this.commissions.purchaseRefunded(tx, { pledgeId: pledge.id, campaignId: pledge.campaignId });
  }

  /**
   * 定金双倍返还 (Civil Code art. 587): the seller defaulted (a campaign cancelled after it succeeded), so
   * besides the deposit itself the consumer gets the same amount again as compensation, taken from what
   * the factory is owed. It goes out beside the deposit's refund, as a refund of its own (reason
   * `deposit_compensation`), retried like every refund until the gateway pays it.
   */
  async compensateDeposit(tx: Tx, pledge: PledgeRow, campaign: CampaignRow, depositPayment: PaymentRow): Promise<void> {
    await this.ledger.post(tx, {
      kind: 'deposit_compensated',
      refs: { campaignId: pledge.campaignId, pledgeId: pledge.id, paymentId: depositPayment.id },
      lines: [
        { account: accounts.factoryPayable(campaign.factoryId), amount: pledge.deposit },
        { account: accounts.refundsPending, amount: pledge.deposit.negated() },
      ],
    });
    await this.payments.requestRefund(tx, { payment: depositPayment, amount: pledge.deposit, reason: 'deposit_compensation' });
  }

  /** The balance was not paid in time: the deposit goes to the factory for the certainty it planned on. */
  async forfeitDeposit(tx: Tx, pledge: PledgeRow, campaign: CampaignRow): Promise<void> {
    await this.ledger.post(tx, {
      kind: 'deposit_forfeited',
      refs: { campaignId: pledge.campaignId, pledgeId: pledge.id },
      lines: [
        { account: accounts.heldDeposits(pledge.campaignId), amount: pledge.deposit },
        { account: accounts.factoryPayable(campaign.factoryId), amount: pledge.deposit.negated() },
      ],
    });
  }

  private split(total: Decimal): { fee: Decimal; factoryShare: Decimal } {
    const fee = roundToFen(total.times(this.platformFeeRate));
    return { fee, factoryShare: total.minus(fee) };
  }
}
