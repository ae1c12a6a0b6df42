import { Decimal, ZERO } from '../platform/money';

/**
 * Shop-owner levels (docs/shop-owners.md § Levels): earned only by a shop owner's OWN completed attributed
 * sales, net of clawbacks (never self-purchases, never anyone else's sales); each adds a bonus to that
 * shop owner's own commission rate and to nobody else's. Fixed in code: the operator sets rates, not levels.
 */
export const LEVELS = [
  { level: 'shop_owner', nameZh: '店主', nameEn: 'Shop owner', minSales: ZERO, bonusRate: '0' },
  { level: 'gold', nameZh: '金牌店主', nameEn: 'Gold shop owner', minSales: new Decimal('2000'), bonusRate: '0.005' },
  { level: 'diamond', nameZh: '钻石店主', nameEn: 'Diamond shop owner', minSales: new Decimal('10000'), bonusRate: '0.01' },
] as const;

export type Level = (typeof LEVELS)[number]['level'];
export const LEVEL_NAMES = LEVELS.map((l) => l.level) as [Level, ...Level[]];

/** The highest bonus any level adds: a rate plus this must stay within the platform's fee. */
export const HIGHEST_BONUS = LEVELS.reduce((highest, l) => Decimal.max(highest, new Decimal(l.bonusRate)), ZERO);

export interface LevelStanding {
  level: Level;
  bonusRate: string;
  completedSales: Decimal;
  /** The next level and the sales still needed to reach it; null at the top. */
  next: { level: Level; salesNeeded: Decimal } | null;
}

/** The level a shop owner with these completed sales stands at. */
export function standingAt(completedSales: Decimal): LevelStanding {
  let index = 0;
  for (const [i, l] of LEVELS.entries()) if (completedSales.gte(l.minSales)) index = i;
  const next = LEVELS[index + 1];
  return {
    level: LEVELS[index].level,
    bonusRate: LEVELS[index].bonusRate,
    completedSales,
    next: next ? { level: next.level, salesNeeded: next.minSales.minus(completedSales) } : null,
  };
}
