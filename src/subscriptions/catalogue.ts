import { parseMoney } from '../platform/money';
import { FRUIT_CATALOGUE } from '../scheduling';
import { FruitRow, PlanRow } from './subscription.entity';

/**
 * What a new installation starts with: the fruit catalogue of src/scheduling and four plans. The fruit
 * budget is what the fruit of one box may cost us, about 55–60 % of its price.
 */
export const STARTER_PLANS: readonly Omit<PlanRow, 'active'>[] = [
  {
    id: 'weekly-small',
    nameZh: '每周鲜果·小份',
    nameEn: 'Weekly, small',
    period: 'weekly',
    maxHousehold: 2,
    portionsPerPersonPerDay: 1,
    price: parseMoney('128.00'),
    fruitBudget: parseMoney('72.00'),
  },
  {
    id: 'weekly-family',
    nameZh: '每周鲜果·家庭',
    nameEn: 'Weekly, family',
    period: 'weekly',
    maxHousehold: 5,
    portionsPerPersonPerDay: 1,
    price: parseMoney('268.00'),
    fruitBudget: parseMoney('160.00'),
  },
  {
    id: 'fortnightly-small',
    nameZh: '双周鲜果·小份',
    nameEn: 'Fortnightly, small',
    period: 'fortnightly',
    maxHousehold: 2,
    portionsPerPersonPerDay: 1,
    price: parseMoney('238.00'),
    fruitBudget: parseMoney('140.00'),
  },
  {
    id: 'fortnightly-family',
    nameZh: '双周鲜果·家庭',
    nameEn: 'Fortnightly, family',
    period: 'fortnightly',
    maxHousehold: 5,
    portionsPerPersonPerDay: 1,
    price: parseMoney('508.00'),
    fruitBudget: parseMoney('310.00'),
  },
];

export function starterFruits(now: Date): FruitRow[] {
  return FRUIT_CATALOGUE.map((f) =>
    Object.assign(new FruitRow(), {
      id: f.id,
      nameZh: f.nameZh,
      nameEn: f.nameEn,
      unit: f.unit,
      portionsPerUnit: f.portionsPerUnit,
      ripeningMinDays: f.ripeningDays[0],
      ripeningMaxDays: f.ripeningDays[1],
      goodDays: f.goodDays,
      seasons: f.seasons,
      ethyleneProducer: f.ethylene.producer,
      ethyleneSensitive: f.ethylene.sensitive,
      unitCost: f.unitCost,
      orchardId: null,
      active: true,
      updatedAt: now,
    }),
  );
}
