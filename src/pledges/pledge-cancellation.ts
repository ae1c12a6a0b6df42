import { type CampaignService, isTakingPledges } from '../campaigns';
import type { PaymentService } from '../payments';
import type { Clock } from '../platform/clock';
import type { Database } from '../platform/database';
import { conflict } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import type { MoneyFlows } from './money-flows';
import type { PledgeRow } from './pledge.entity';
import type { PledgeMoves } from './pledge-moves';
import { lockOwnPledge } from './pledge-reads';

/** A consumer cancels their pledge while the campaign is open. */
export class PledgeCancellation {
  constructor(
    private readonly deps: { db: Database; clock: Clock; campaigns: CampaignService; payments: PaymentService; flows: MoneyFlows; moves: PledgeMoves },
  ) {}

  /** While the campaign is open: an unpaid pledge is dropped, a paid one is refunded in full. */
  async cancel(consumer: Principal & { role: 'consumer' }, pledgeId: string): Promise<PledgeRow> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const pledge = await lockOwnPledge(this.deps.db, tx, consumer, pledgeId);
      const campaign = (await this.deps.campaigns.find(tx, pledge.campaignId))!;
      const open = isTakingPledges(campaign, now);
      const was = pledge.status;
      const refused = (status: string) =>
        conflict(
          'pledge_not_cancellable',
          `A pledge can be cancelled only while its campaign is open and before the campaign is decided; this pledge is ${was} and the campaign ${status}.`,
        );
      if (!open || !['awaiting_deposit', 'active'].includes(was)) throw refused(open ? 'open' : campaign.status);
      const wasPaid = was === 'active';
      await this.deps.moves.setStatus(tx, pledge, 'cancelled');
      // The campaign read above is not locked: a decision at the deadline may be counting this pledge as paid right
      // now. Its units go back only if the window is still open on the locked row; if not, nothing is cancelled.
      if (!(await this.deps.moves.releaseUnits(tx, campaign, [pledge], now))) throw refused('closed');
      if (wasPaid) await this.deps.flows.refundDeposit(tx, pledge, await this.deps.moves.payment(tx, pledge.depositPaymentId), 'pledge_cancelled');
      else await this.deps.payments.cancel(tx, pledge.depositPaymentId);
      return pledge;
    });
  }
}
