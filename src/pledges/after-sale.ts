import type { CampaignService } from '../campaigns';
import type { NotificationService } from '../notifications';
import type { Database } from '../platform/database';
import { conflict, notFound } from '../platform/http/app-error';
import { formatMoney } from '../platform/money';
import type { MoneyFlows } from './money-flows';
import { PledgeRow } from './pledge.entity';
import type { PledgeMoves } from './pledge-moves';

/**
 * 售后退款: an operator refunds a completed purchase in full after the sale (a return, a defect). Everything the
 * consumer paid goes back through the refund machinery, the factory's share and the platform's fee are reversed
 * as when a campaign is cancelled after it completed (purchase_refunded), and what the purchase earned a shop
 * owner is clawed back, all in one transaction with the pledge becoming refunded. Not the seller's default on
 * the sale, so no 定金双倍返还. The factory's statement already made for the campaign is followed by another
 * with the refund (the statements' daily catch-up finds the entry no statement counts).
 */
export class AfterSaleRefunds {
  constructor(private readonly deps: { db: Database; campaigns: CampaignService; notifications: NotificationService; flows: MoneyFlows; moves: PledgeMoves }) {}

  async refund(pledgeId: string, reason: string): Promise<PledgeRow> {
    return this.deps.db.transaction(async (tx) => {
      const pledge = await tx.findOne(PledgeRow, { where: { id: pledgeId }, lock: this.deps.db.rowLock() });
      if (!pledge) throw notFound('The pledge');
      if (pledge.status !== 'paid')
        throw conflict(
          'pledge_not_completed',
          `只有已完成（尾款已付）的认购可以售后退款；此认购为 ${pledge.status}。 Only a completed (paid) pledge can be refunded after sale; this one is ${pledge.status}.`,
        );
      const campaign = (await this.deps.campaigns.find(tx, pledge.campaignId))!;
      const depositPayment = await this.deps.moves.payment(tx, pledge.depositPaymentId);
      const balancePayment = pledge.balancePaymentId ? await this.deps.moves.payment(tx, pledge.balancePaymentId) : undefined;
      await this.deps.moves.setStatus(tx, pledge, 'refunded');
      await this.deps.flows.refundPurchase(tx, pledge, campaign, depositPayment, balancePayment, 'after_sale');
      await this.deps.notifications.notify(tx, {
        userId: pledge.userId,
        kind: 'after_sale_refunded',
        campaignId: campaign.id,
        pledgeId: pledge.id,
        data: { title: campaign.title, amount: formatMoney(pledge.deposit.plus(balancePayment?.amount ?? 0)), reason },
      });
      return pledge;
    });
  }
}
