import { Between, In } from 'typeorm';
import { isoWeekDates } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Database } from '../platform/database';
import type { BoxPlanning } from './box-planning';
import { contentsOf } from './box-contents';
import { fairShares } from './fair-share';
import { BoxRow, ShortfallShareRow, SubscriptionRow, SupplyCommitmentRow } from './subscription.entity';

export const SHARE_SHORTFALL_JOB = 'subscriptions.share-shortfall';

/** An orchard's shortfall shared fairly between the boxes still planned (its job is enqueued by orchard-demand.ts). */
export class ShortfallSharing {
  constructor(private readonly deps: { db: Database; clock: Clock; planning: BoxPlanning }) {}

  /**
   * An orchard committed fewer units of a fruit for a week than the boxes need: boxes already locked
   * keep theirs (they are charged and packed), and what is left is shared fairly between the boxes still
   * planned (fair-share.ts). Each affected box is planned again within its share; the planner covers
   * the days with other fruit where it can, and names the days it cannot ('supply').
   */
  async shareShortfall(fruitId: string, week: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      // Locked, and read first: a share of the same fruit and week at the same moment waits for this one, and on MySQL
      // this transaction's snapshot is taken after the locks, so it sees the boxes' contents and the shares they lock.
      const commitment = await tx.findOne(SupplyCommitmentRow, { where: { fruitId, shipWeek: week }, lock: this.deps.db.rowLock() });
      if (!commitment) return;
      const { first, last } = isoWeekDates(week);
      const boxes = await tx.find(BoxRow, {
        where: { shipDate: Between(first, last), status: In(['planned', 'locked', 'paid', 'shipped', 'cancelled']) },
        lock: this.deps.db.rowLock(),
      });
      const contents = await contentsOf(tx, boxes);
      const unitsOf = (box: BoxRow) =>
        contents
          .get(box.contentsId)!
          .items.filter((i) => i.fruitId === fruitId)
          .reduce((total, i) => total + i.units, 0);
      // Boxes not yet locked share the fruit; one an earlier share left with nothing to send (unfillable) still has its claim.
      const open = (b: BoxRow) => b.status === 'planned' || b.cancelReason === 'unfillable';
      const fixed = boxes.filter((b) => b.status !== 'cancelled' && !open(b)).reduce((total, b) => total + unitsOf(b), 0);
      const planned = boxes.filter((b) => open(b) && (unitsOf(b) > 0 || b.unitLimits?.[fruitId] !== undefined));
      const earlier = new Map(
        planned.length === 0 ? [] : (await tx.find(ShortfallShareRow, { where: { fruitId, boxId: In(planned.map((b) => b.id)) } })).map((r) => [r.boxId, r]),
      );
      // A box's need is what it would hold without the cut, as it would be planned now, so a later, larger commitment
      // gives it back. Now, not before its first cut: a subscriber who since excluded the fruit or has fewer people
      // asks less, and a box that will not be planned again (its delivery skipped or paused, its subscription
      // cancelled, past its cutoff) asks only what it holds. (The ask before the first cut, kept with the share,
      // took a share of a later commitment for fruit such a box would never hold, from the boxes that ship.)
      const subscriptionsOf =
        planned.length === 0 ? [] : await tx.find(SubscriptionRow, { where: { id: In([...new Set(planned.map((b) => b.subscriptionId))]) } });
      const asks = await this.deps.planning.unlimitedAsks(tx, subscriptionsOf, fruitId);
      const needs = planned.map((b) => ({ id: b.id, units: asks.get(b.id) ?? unitsOf(b) }));
      const shares = fairShares(commitment.units - fixed, needs);
      const now = this.deps.clock.now();
      for (const [i, box] of planned.entries()) {
        const share = shares.get(box.id)!;
        const unitLimits = { ...(box.unitLimits ?? {}), [fruitId]: share };
        box.unitLimits = unitLimits;
        await tx.update(BoxRow, { id: box.id, status: box.status }, { unitLimits });
        const kept = { askedUnits: needs[i].units, shareUnits: share, committedUnits: commitment.units, sharedAt: now };
        if (earlier.has(box.id)) await tx.update(ShortfallShareRow, { boxId: box.id, fruitId }, kept);
        else await tx.insert(ShortfallShareRow, { boxId: box.id, fruitId, shipWeek: week, contentsBeforeId: box.contentsId, ...kept });
      }
      await this.deps.planning.buildBoxes(tx, subscriptionsOf);
    });
  }
}
