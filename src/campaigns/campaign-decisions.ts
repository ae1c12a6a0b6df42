import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { conflict } from '../platform/http/app-error';
import type { CampaignRow } from './campaign.entity';
import { type Decision, closeStep, decide } from './campaign';
import type { CampaignService } from './campaign.service';

/** What a close needs to know of, and do to, a campaign's pledges (the pledges module provides it; campaigns may not import pledges). */
export interface PledgesAtClose {
  /** The latest expiry among pledges still awaiting their deposit, if any: a deposit paid before the deadline may still be confirmed until then. */
  lastDepositExpiry(tx: Tx, campaignId: string): Promise<Date | undefined>;
  /** Pledges whose deposit never came lapse, giving back their units. */
  expireUnpaid(tx: Tx, campaignId: string): Promise<void>;
  /** Units whose deposit is paid, per variant key. */
  paidUnitsByVariant(tx: Tx, campaignId: string): Promise<Map<string, number>>;
}

/** Told, inside the deciding transaction, that a campaign succeeded, failed or was cancelled. */
export interface DecisionObserver {
  campaignDecided(tx: Tx, campaign: CampaignRow): Promise<void>;
}

/**
 * The end of a campaign: the decision at its deadline (the close job) and an operator's cancel. The
 * rules are the pure functions of campaign.ts (closeStep, decide); this class reads what they need,
 * writes what they decide, and tells the observers (the pledges' settlement, the forecasts) in the
 * same transaction, so that their work is scheduled if and only if the decision commits.
 */
export class CampaignDecisions {
  constructor(
    private readonly deps: { db: Database; clock: Clock; campaigns: CampaignService; pledges: PledgesAtClose; observers: readonly DecisionObserver[] },
  ) {}

  /** The close job: runs at the deadline, again while deposits are in flight, and harmlessly after the decision. */
  async close(campaignId: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      const campaign = await this.deps.campaigns.lock(tx, campaignId);
      const step = closeStep(campaign, now, await this.deps.pledges.lastDepositExpiry(tx, campaignId));
      if (step.action === 'nothing') return;
      if (step.action === 'wait') return this.deps.campaigns.scheduleClose(tx, campaign, step.until);
      await this.deps.pledges.expireUnpaid(tx, campaignId);
      await this.record(tx, campaign, decide(campaign, await this.deps.pledges.paidUnitsByVariant(tx, campaignId), now));
    });
  }

  /** An operator's cancel, before completion, with why: everything paid goes back (and 定金 doubled where the campaign had succeeded). */
  async cancel(campaignId: string, reason: string): Promise<CampaignRow> {
    return this.deps.db.transaction(async (tx) => {
      const campaign = await this.deps.campaigns.lock(tx, campaignId);
      if (['failed', 'cancelled', 'completed'].includes(campaign.status))
        throw conflict('campaign_final', `A ${campaign.status} campaign cannot be cancelled.`);
      Object.assign(campaign, { status: 'cancelled', cancelledAt: this.deps.clock.now(), cancelReason: reason });
      await this.deps.campaigns.record(tx, campaign, { status: campaign.status, cancelledAt: campaign.cancelledAt, cancelReason: reason });
      await this.tell(tx, campaign);
      return campaign;
    });
  }

  private async record(tx: Tx, campaign: CampaignRow, decision: Decision): Promise<void> {
    Object.assign(campaign, decision, { decidedAt: this.deps.clock.now() });
    await this.deps.campaigns.record(tx, campaign, { ...decision, decidedAt: campaign.decidedAt });
    await this.tell(tx, campaign);
  }

  private async tell(tx: Tx, campaign: CampaignRow): Promise<void> {
    for (const observer of this.deps.observers) await observer.campaignDecided(tx, campaign);
  }
}
