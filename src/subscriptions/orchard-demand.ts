import { In, MoreThanOrEqual } from 'typeorm';
import type { DemandSource, SupplyLine } from '../forecasts';
import { businessDay, isoWeekOf } from '../platform/calendar';
import type { Tx } from '../platform/database';
import { BoxRow, FruitRow } from './subscription.entity';

/** Planned boxes may still be skipped or paused before their cutoff: the low end counts this share of them. */
export const PLANNED_BOX_LOW_SHARE = 0.85;

/**
 * What the fruit boxes need from an orchard, per fruit and ISO week of ship date, as forecast lines:
 * firm = boxes locked at their cutoff (charged or being charged), expected = those plus boxes still
 * planned. An orchard sees these in its live forecast and its batches like any factory.
 */
export class OrchardDemand implements DemandSource {
  async supplyLines(tx: Tx, factoryId: string, now: Date): Promise<SupplyLine[]> {
    const fruits = await tx.find(FruitRow, { where: { orchardId: factoryId } });
    if (fruits.length === 0) return [];
    const supplied = new Map(fruits.map((f) => [f.id, f]));
    const boxes = await tx.find(BoxRow, { select: { items: true, status: true, shipDate: true }, where: { shipDate: MoreThanOrEqual(businessDay(now)), status: In(['planned', 'locked', 'paid']) } });
    const lines = new Map<string, { fruit: FruitRow; week: string; firm: number; planned: number }>();
    for (const box of boxes) {
      const week = isoWeekOf(box.shipDate);
      for (const item of box.items) {
        const fruit = supplied.get(item.fruitId);
        if (!fruit) continue;
        const line = lines.get(`${fruit.id}|${week}`) ?? { fruit, week, firm: 0, planned: 0 };
        if (box.status === 'planned') line.planned += item.units;
        else line.firm += item.units;
        lines.set(`${fruit.id}|${week}`, line);
      }
    }
    return [...lines.values()]
      .sort((a, b) => a.week.localeCompare(b.week) || a.fruit.id.localeCompare(b.fruit.id))
      .map(({ fruit, week, firm, planned }) => ({
        key: `fruit:${fruit.id}`, title: `${fruit.nameZh} ${fruit.nameEn}`, unit: fruit.unit, week,
        firmUnits: Math.ceil(firm), expectedUnits: Math.round(firm + planned), lowUnits: Math.floor(firm + planned * PLANNED_BOX_LOW_SHARE), highUnits: Math.ceil(firm + planned),
      }));
  }
}
