import type { DemandSource, SupplyLine } from '../forecasts';
import { businessDay, isoWeekDates, isoWeekOf } from '../platform/calendar';
import type { Tx } from '../platform/database';
import type { Clock } from '../platform/clock';
import { Fraction } from '../platform/exact';
import type { Jobs } from '../platform/jobs';
import { contentsOf } from './box-contents';
import { BoxRow, FruitRow, SupplyCommitmentRow } from './subscription.entity';
import { SHARE_SHORTFALL_JOB } from './shortfall';

/** Planned boxes may still be skipped or paused before their cutoff: the low end counts this share of them (0.85). */
export const PLANNED_BOX_LOW_SHARE = new Fraction(85, 100);
/** The fruit's supply lines' source key is this and the fruit's id, e.g. `fruit:mango`. */
export const FRUIT_KEY_PREFIX = 'fruit:';

/**
 * What the fruit boxes need from an orchard, per fruit and ISO week of ship date, as forecast lines:
 * firm = boxes locked at their cutoff (charged or being charged), expected = those plus boxes still
 * planned. An orchard sees these in its live forecast and its batches like any factory.
 */
export class OrchardDemand implements DemandSource {
  constructor(private readonly deps: { jobs: Jobs; clock: Clock }) {}

  /** The orchard's answer per fruit and week is kept; where it is short of what the boxes need, the boxes share it fairly (a job). */
  async supplyCommitted(tx: Tx, factoryId: string, commitments: readonly { sourceKey: string; week: string; quantity: number }[]): Promise<void> {
    for (const { sourceKey, week, quantity } of commitments) {
      // Another source's key is not ours to keep.
      if (!sourceKey.startsWith(FRUIT_KEY_PREFIX)) continue;
      const fruitId = sourceKey.slice(FRUIT_KEY_PREFIX.length);
      if (!(await tx.existsBy(FruitRow, { id: fruitId, orchardId: factoryId }))) continue;
      await tx.delete(SupplyCommitmentRow, { fruitId, shipWeek: week });
      await tx.insert(SupplyCommitmentRow, { fruitId, shipWeek: week, orchardId: factoryId, units: quantity, committedAt: this.deps.clock.now() });
      await this.deps.jobs.enqueue(tx, SHARE_SHORTFALL_JOB, { fruitId, week }, { key: `${fruitId}:${week}:${this.deps.clock.now().getTime()}` });
    }
  }

  async supplyLines(tx: Tx, factoryId: string, now: Date): Promise<SupplyLine[]> {
    const fruits = await tx.find(FruitRow, { where: { orchardId: factoryId } });
    if (fruits.length === 0) return [];
    const supplied = new Map(fruits.map((f) => [f.id, f]));
    // Counted per distinct contents, ship date and status: hundreds of thousands of boxes share a few thousand contents.
    const counts = await tx
      .createQueryBuilder(BoxRow, 'b')
      .select('b.contents_id', 'contentsId')
      .addSelect('b.ship_date', 'shipDate')
      .addSelect('b.status', 'status')
      .addSelect('COUNT(*)', 'boxes')
      // The whole current ISO week, shipped boxes included: a week's line does not shrink as its boxes go out
      // (a factory would read that as demand lost); past weeks leave the forecast.
      .where("b.ship_date >= :weekStart AND b.status IN ('planned', 'locked', 'paid', 'shipped')", {
        weekStart: isoWeekDates(isoWeekOf(businessDay(now))).first,
      })
      .groupBy('b.contents_id, b.ship_date, b.status')
      .getRawMany<{ contentsId: string; shipDate: string; status: string; boxes: number | string }>();
    const contents = await contentsOf(tx, counts);
    const lines = new Map<string, { fruit: FruitRow; week: string; firm: number; planned: number }>();
    for (const { contentsId, shipDate, status, boxes } of counts) {
      const week = isoWeekOf(shipDate);
      for (const item of contents.get(contentsId)!.items) {
        const fruit = supplied.get(item.fruitId);
        if (!fruit) continue;
        const line = lines.get(`${fruit.id}|${week}`) ?? { fruit, week, firm: 0, planned: 0 };
        if (status === 'planned') line.planned += item.units * Number(boxes);
        else line.firm += item.units * Number(boxes);
        lines.set(`${fruit.id}|${week}`, line);
      }
    }
    // A box holds whole units of each fruit: only the low end's share of the planned boxes needs rounding, exactly (fraction.js).
    return [...lines.values()]
      .sort((a, b) => a.week.localeCompare(b.week) || a.fruit.id.localeCompare(b.fruit.id))
      .map(({ fruit, week, firm, planned }) => ({
        sourceKey: `${FRUIT_KEY_PREFIX}${fruit.id}`,
        title: `${fruit.nameZh} ${fruit.nameEn}`,
        unit: fruit.unit,
        week,
        firmUnits: firm,
        expectedUnits: firm + planned,
        lowUnits: firm + new Fraction(planned).mul(PLANNED_BOX_LOW_SHARE).floor().valueOf(),
        highUnits: firm + planned,
      }));
  }
}
