import { isoWeekDates } from '../platform/calendar';
import type { Database, Tx } from '../platform/database';
import type { PageQuery } from '../platform/http/paginate';
import { contentsOf } from './box-contents';
import { BoxRow, FruitRow, type BoxItem, type BoxStatus } from './subscription.entity';

/** What the orchards pick and the packing house packs: the picking list of a ship date, the boxes by ship date and status. */
export class Fulfilment {
  constructor(private readonly deps: { db: Database }) {}

  /** What an orchard picks for one ship date: its fruit in the boxes locked at their cutoff, per fruit. */
  async pickingList(orchardId: string, shipDate: string): Promise<{ fruit: FruitRow; units: number; boxes: number }[]> {
    return this.deps.db.read(async (tx) => {
      const supplied = new Map((await tx.find(FruitRow, { where: { orchardId } })).map((f) => [f.id, f]));
      if (supplied.size === 0) return [];
      // Counted per distinct contents: thousands of boxes share a few.
      const counts = await tx
        .createQueryBuilder(BoxRow, 'b')
        .select('b.contents_id', 'contentsId')
        .addSelect('COUNT(*)', 'boxes')
        .where("b.ship_date = :shipDate AND b.status IN ('locked', 'paid', 'shipped')", { shipDate })
        .groupBy('b.contents_id')
        .getRawMany<{ contentsId: string; boxes: number | string }>();
      const contents = await contentsOf(tx, counts);
      const lines = new Map<string, { fruit: FruitRow; units: number; boxes: number }>();
      for (const { contentsId, boxes } of counts) {
        for (const item of contents.get(contentsId)!.items) {
          const fruit = supplied.get(item.fruitId);
          if (!fruit) continue;
          const line = lines.get(fruit.id) ?? { fruit, units: 0, boxes: 0 };
          line.units += item.units * Number(boxes);
          line.boxes += Number(boxes);
          lines.set(fruit.id, line);
        }
      }
      return [...lines.values()].sort((a, b) => a.fruit.id.localeCompare(b.fruit.id));
    });
  }

  /** The boxes that ship in an ISO week (2027-W09), whatever their status: the orchards' weekly statements read their ledger entries. */
  async boxIdsShippingIn(tx: Tx, week: string): Promise<string[]> {
    const { first, last } = isoWeekDates(week);
    const rows = await tx
      .createQueryBuilder(BoxRow, 'b')
      .select('b.id', 'id')
      .where('b.ship_date BETWEEN :first AND :last', { first, last })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Boxes by ship date and status, for the packing house (operators). */
  async boxes(query: PageQuery & { shipDate?: string; status?: BoxStatus }): Promise<{ items: { box: BoxRow; items: BoxItem[] }[]; total: number }> {
    const where = { ...(query.shipDate ? { shipDate: query.shipDate } : {}), ...(query.status ? { status: query.status } : {}) };
    return this.deps.db.read(async (tx) => {
      const [boxes, total] = await tx.findAndCount(BoxRow, { where, order: { shipDate: 'ASC', id: 'ASC' }, skip: query.offset, take: query.limit });
      const contents = await contentsOf(tx, boxes);
      return { items: boxes.map((box) => ({ box, items: contents.get(box.contentsId)!.items })), total };
    });
  }
}
