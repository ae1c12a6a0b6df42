import type { Decimal } from '../platform/money';

/** A fruit as the box planner sees it. Figures are defaults that operations can override per lot. */
export interface Fruit {
  /** Slug, e.g. 'mango'. */
  id: string;
  nameZh: string;
  nameEn: string;
  unit: 'piece' | 'kg';
  /** Edible portions in one unit (a whole number: a mango = 2, 1 kg of grapes = 5). */
  portionsPerUnit: number;
  /** [min, max] days after delivery at room temperature until ready to eat; [0, 0] = ready to eat. */
  ripeningDays: [number, number];
  /** Days it stays good once ripe (>= 1). */
  goodDays: number;
  /** Months 1..12 in which each origin supplies it. */
  seasons: { origin: string; months: number[] }[];
  ethylene: { producer: boolean; sensitive: boolean };
  /** Cost to us per unit, CNY. */
  unitCost: Decimal;
}

/** Day offsets from the delivery date (0 = delivery day), both ends included. Empty when until < from. */
export interface EdibleWindow {
  from: number;
  until: number;
}

/**
 * Packed with a fruit that gives off ethylene, an ethylene-sensitive fruit ripens this many days
 * sooner: its whole guaranteed edible window moves this much earlier (never before the delivery day),
 * so it is also over this much sooner.
 */
export const ETHYLENE_HASTENS_DAYS = 1;

/**
 * The days a fruit is guaranteed edible: ready even if it ripens slowly (max ripening), still good
 * even if it ripened fast (min ripening + good days − 1). `hastened`: packed with an ethylene producer.
 */
export function guaranteedWindow(fruit: Fruit, hastened: boolean): EdibleWindow {
  const [minRipening, maxRipening] = fruit.ripeningDays;
  const sooner = hastened ? ETHYLENE_HASTENS_DAYS : 0;
  return {
    from: Math.max(0, maxRipening - sooner),
    until: minRipening - sooner + fruit.goodDays - 1,
  };
}

/** Refuses figures the planner cannot work with (a unit without portions would never cover a day). */
export function assertPlannable(fruit: Fruit): void {
  const [minRipening, maxRipening] = fruit.ripeningDays;
  const wholeAtLeast = (value: number, least: number) => Number.isInteger(value) && value >= least;
  if (
    !wholeAtLeast(fruit.portionsPerUnit, 1) ||
    !wholeAtLeast(fruit.goodDays, 1) ||
    !wholeAtLeast(minRipening, 0) ||
    !wholeAtLeast(maxRipening, minRipening) ||
    !fruit.unitCost.isFinite() ||
    fruit.unitCost.isNegative()
  ) {
    throw new RangeError(`fruit ${JSON.stringify(fruit.id)} has figures the planner cannot use`);
  }
}

/** In season when one of its origins supplies it in the month (1..12) of the ship date. */
export function isInSeason(fruit: Fruit, month: number): boolean {
  return fruit.seasons.some((season) => season.months.includes(month));
}

/** True when `fruit` ripens faster because the box also holds `other` (a different fruit that gives off ethylene). */
export function isHastenedBy(fruit: Fruit, other: Fruit): boolean {
  return fruit.ethylene.sensitive && other.ethylene.producer && other.id !== fruit.id;
}
