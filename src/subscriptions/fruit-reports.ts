import { Between, In } from 'typeorm';
import { isoWeekOf } from '../platform/calendar';
import { chunks } from '../platform/chunks';
import type { Database, Tx } from '../platform/database';
import { contentsOf } from './box-contents';
import { addDays } from './deliveries';
import { BoxRow, FruitRow, ShortfallShareRow, SupplyCommitmentRow, type BoxItem, type BoxStatus } from './subscription.entity';

/** One box's side of a shortfall: what it asked for, its share, what it got, what came instead, and the days left short. */
export interface ShortBox {
  box: BoxRow;
  askedUnits: number;
  shareUnits: number;
  /** Units of the short fruit in the box as planned now (at most its share). */
  gotUnits: number;
  /** Fruit the box holds more of than before its first cut: what the planner put in instead. */
  instead: { fruitId: string; units: number }[];
  /** Days the box leaves short because of supply (the planner's `supply` reason), with the portions missing. */
  shortDays: { date: string; missingPortions: number }[];
}

export interface FruitShortfall {
  fruit: FruitRow;
  week: string;
  /** What the orchard committed for the week (all the week's ship dates), or null when it has not answered. */
  committedUnits: number | null;
  askedUnits: number;
  sharedUnits: number;
  boxes: ShortBox[];
}

export interface PickingLine {
  fruit: FruitRow;
  units: number;
  boxes: number;
}

/** What operators read of the fruit boxes per ship date: the shortfalls and their fair shares, the picking list, the dates ahead. */
export class FruitReports {
  constructor(private readonly deps: { db: Database }) {}

  /**
   * The fruit an orchard was short of for the ship date's week, with each box of the date that shared it:
   * asked, share, what it got and what instead, the days short. Fruit the orchard committed for the week
   * but no box of this date shared are listed too (with no boxes), so the commitment is always in view.
   */
  async shortfalls(shipDate: string): Promise<{ week: string; fruits: FruitShortfall[] }> {
    const week = isoWeekOf(shipDate);
    return this.deps.db.read(async (tx) => {
      const boxes = await tx.find(BoxRow, { where: { shipDate }, order: { deliveryDate: 'ASC', id: 'ASC' } });
      const boxIds = boxes.map((b) => b.id);
      const shares = (await Promise.all(chunks(boxIds, 500).map((ids) => tx.find(ShortfallShareRow, { where: { boxId: In(ids) } })))).flat();
      const commitments = await tx.find(SupplyCommitmentRow, { where: { shipWeek: week } });
      const fruitIds = [...new Set([...shares.map((s) => s.fruitId), ...commitments.map((c) => c.fruitId)])];
      if (fruitIds.length === 0) return { week, fruits: [] };
      const fruits = new Map((await tx.find(FruitRow, { where: { id: In(fruitIds) } })).map((f) => [f.id, f]));
      const byId = new Map(boxes.map((b) => [b.id, b]));
      const contents = await contentsOf(tx, [...boxes, ...shares.map((s) => ({ contentsId: s.contentsBeforeId }))]);
      const itemsOf = (contentsId: string) => contents.get(contentsId)!.items;
      const result = fruitIds
        .filter((id) => fruits.has(id))
        .sort()
        .map((fruitId): FruitShortfall => {
          const boxesShort = shares
            .filter((s) => s.fruitId === fruitId)
            .map((share): ShortBox => {
              const box = byId.get(share.boxId)!;
              const now = itemsOf(box.contentsId);
              const uncovered = contents.get(box.contentsId)!.uncovered;
              return {
                box,
                askedUnits: share.askedUnits,
                shareUnits: share.shareUnits,
                gotUnits: unitsOf(now, fruitId),
                instead: moreThan(now, itemsOf(share.contentsBeforeId)).filter((i) => i.fruitId !== fruitId),
                shortDays: uncovered.filter((d) => d.reason === 'supply').map(({ date, missingPortions }) => ({ date, missingPortions })),
              };
            })
            .sort((a, b) => a.box.deliveryDate.localeCompare(b.box.deliveryDate) || (a.box.id < b.box.id ? -1 : 1));
          return {
            fruit: fruits.get(fruitId)!,
            week,
            committedUnits: commitments.find((c) => c.fruitId === fruitId)?.units ?? null,
            askedUnits: boxesShort.reduce((total, b) => total + b.askedUnits, 0),
            sharedUnits: boxesShort.reduce((total, b) => total + b.shareUnits, 0),
            boxes: boxesShort,
          };
        });
      return { week, fruits: result };
    });
  }

  /**
   * What is picked and packed for a ship date, every orchard's fruit: the fruit in the boxes locked at their
   * cutoff (charged, paid or shipped), per fruit; and the date's boxes by status (planned ones are locked,
   * and join the list, at their cutoff).
   */
  async pickingList(shipDate: string): Promise<{ lines: PickingLine[]; boxesByStatus: Record<BoxStatus, number> }> {
    return this.deps.db.read(async (tx) => {
      const counts = await tx
        .createQueryBuilder(BoxRow, 'b')
        .select('b.contents_id', 'contentsId')
        .addSelect('b.status', 'status')
        .addSelect('COUNT(*)', 'boxes')
        .where('b.ship_date = :shipDate', { shipDate })
        .groupBy('b.contents_id')
        .addGroupBy('b.status')
        .getRawMany<{ contentsId: string; status: BoxStatus; boxes: number | string }>();
      const boxesByStatus: Record<BoxStatus, number> = { planned: 0, locked: 0, paid: 0, shipped: 0, cancelled: 0 };
      for (const { status, boxes } of counts) boxesByStatus[status] += Number(boxes);
      const picked = counts.filter((c) => c.status === 'locked' || c.status === 'paid' || c.status === 'shipped');
      const contents = await contentsOf(tx, picked);
      const lines = new Map<string, { units: number; boxes: number }>();
      for (const { contentsId, boxes } of picked) {
        for (const item of contents.get(contentsId)!.items) {
          const line = lines.get(item.fruitId) ?? { units: 0, boxes: 0 };
          line.units += item.units * Number(boxes);
          line.boxes += Number(boxes);
          lines.set(item.fruitId, line);
        }
      }
      const fruits = new Map(lines.size === 0 ? [] : (await tx.find(FruitRow, { where: { id: In([...lines.keys()]) } })).map((f) => [f.id, f]));
      return {
        boxesByStatus,
        lines: [...lines.entries()]
          .filter(([fruitId]) => fruits.has(fruitId))
          .map(([fruitId, line]) => ({ fruit: fruits.get(fruitId)!, ...line }))
          .sort((a, b) => (a.fruit.orchardId ?? '').localeCompare(b.fruit.orchardId ?? '') || a.fruit.id.localeCompare(b.fruit.id)),
      };
    });
  }

  /** The ship dates from `from` for `days` days that have boxes: how many, by status, and how many are short of a fruit. */
  async shipDates(from: string, days: number): Promise<{ shipDate: string; boxesByStatus: Record<BoxStatus, number>; shortBoxes: number }[]> {
    const until = addDays(from, days - 1);
    return this.deps.db.read(async (tx) => {
      const counts = await tx
        .createQueryBuilder(BoxRow, 'b')
        .select('b.ship_date', 'shipDate')
        .addSelect('b.status', 'status')
        .addSelect('COUNT(*)', 'boxes')
        .where({ shipDate: Between(from, until) })
        .groupBy('b.ship_date')
        .addGroupBy('b.status')
        .getRawMany<{ shipDate: string; status: BoxStatus; boxes: number | string }>();
      const short = await shortBoxesByDate(tx, from, until);
      const dates = new Map<string, Record<BoxStatus, number>>();
      for (const { shipDate, status, boxes } of counts) {
        const byStatus = dates.get(shipDate) ?? { planned: 0, locked: 0, paid: 0, shipped: 0, cancelled: 0 };
        byStatus[status] += Number(boxes);
        dates.set(shipDate, byStatus);
      }
      return [...dates.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([shipDate, boxesByStatus]) => ({ shipDate, boxesByStatus, shortBoxes: short.get(shipDate) ?? 0 }));
    });
  }
}

/** Per ship date, the boxes whose share of some fruit is below what they asked for. */
async function shortBoxesByDate(tx: Tx, from: string, until: string): Promise<Map<string, number>> {
  const rows = await tx
    .createQueryBuilder(ShortfallShareRow, 's')
    .innerJoin(BoxRow, 'b', 'b.id = s.box_id')
    .select('b.ship_date', 'shipDate')
    .addSelect('COUNT(DISTINCT s.box_id)', 'boxes')
    .where('s.share_units < s.asked_units AND b.ship_date BETWEEN :from AND :until', { from, until })
    .groupBy('b.ship_date')
    .getRawMany<{ shipDate: string; boxes: number | string }>();
  return new Map(rows.map((r) => [r.shipDate, Number(r.boxes)]));
}

function unitsOf(items: readonly BoxItem[], fruitId: string): number {
  return items.filter((i) => i.fruitId === fruitId).reduce((total, i) => total + i.units, 0);
}

/** The fruit `now` holds more units of than `before`, and how many more. */
function moreThan(now: readonly BoxItem[], before: readonly BoxItem[]): { fruitId: string; units: number }[] {
  const ids = [...new Set(now.map((i) => i.fruitId))].sort();
  return ids.map((fruitId) => ({ fruitId, units: unitsOf(now, fruitId) - unitsOf(before, fruitId) })).filter((i) => i.units > 0);
}
