import { z } from 'zod';
import { idSchema as id } from '../platform/ids';
import { formatMoney, moneyString, parseMoney } from '../platform/money';
import { pageQuery } from '../platform/http/paginate';
import { periodDaysOf } from './deliveries';
import type { ScheduledDelivery, SubscriptionView } from './subscription-schedule';
import type { BoxItem, BoxRow, FruitRow, PlanRow } from './subscription.entity';

const MAX_FRUIT_UNIT_COST = parseMoney('100000.00');
const date = (what = 'a date') => z.iso.date(`must be ${what} such as 2027-01-15`);
const fruitId = z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, 'must be a fruit id such as "mango" or "dragon-fruit"');

export const SubscriptionParams = z.strictObject({ id });
export const FruitParams = z.strictObject({ id: fruitId });

const planId = z.string().min(1).max(40);
const householdSize = z.number().int().min(1).max(10);
const exclusions = z.array(fruitId).max(40);

export const CreateSubscriptionBody = z.strictObject({
  planId,
  startDate: date(),
  deliveryWeekday: z.number().int().min(1, '1 = Monday … 7 = Sunday').max(7, '1 = Monday … 7 = Sunday'),
  region: z.string().min(1).max(30),
  householdSize,
  exclusions: exclusions.default([]),
});

/** A change of plan, household size or exclusions: from the next delivery whose cutoff is ahead. */
export const UpdateSubscriptionBody = z
  .strictObject({ planId: planId.optional(), householdSize: householdSize.optional(), exclusions: exclusions.optional() })
  .refine((change) => Object.keys(change).length > 0, 'send at least one of planId, householdSize, exclusions');

export const ScheduleQuery = z.strictObject({ weeks: z.coerce.number().int().min(1).max(12).default(4) });
export const SkipBody = z.strictObject({ deliveryDate: date('a delivery date') });
export const PauseBody = z
  .strictObject({ until: date(), from: date().optional() })
  .refine((pause) => pause.from === undefined || pause.from < pause.until, { path: ['until'], message: 'must be after from' });

export const PickingListQuery = z.strictObject({ shipDate: date('a ship date') });
export const BoxListQuery = pageQuery.extend({
  shipDate: date('a ship date').optional(),
  status: z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled']).optional(),
});
export const ShipBody = z.strictObject({ boxIds: z.array(id).min(1).max(1000) });

export function toBoxDto({ box: b, items }: { box: BoxRow; items: BoxItem[] }) {
  return {
    id: b.id,
    subscriptionId: b.subscriptionId,
    deliveryDate: b.deliveryDate,
    shipDate: b.shipDate,
    cutoffAt: b.cutoffAt.toISOString(),
    shipByAt: b.shipByAt.toISOString(),
    status: b.status,
    cancelReason: b.cancelReason,
    items: items.map((i) => ({ fruitId: i.fruitId, units: i.units })),
    price: formatMoney(b.price),
    paymentId: b.paymentId,
    chargeAttempts: b.chargeAttempts,
    shippedAt: b.shippedAt?.toISOString() ?? null,
    compensatedAt: b.compensatedAt?.toISOString() ?? null,
  };
}

export const UpdateFruitBody = z
  .strictObject({
    // Capped like a campaign's unit price, so that the cost reads back exactly on both databases (see MAX_UNIT_PRICE).
    unitCost: moneyString
      .transform(parseMoney)
      .refine((cost) => cost.lessThanOrEqualTo(MAX_FRUIT_UNIT_COST), 'must be at most 100000.00')
      .optional(),
    ripeningMinDays: z.number().int().min(0).max(30).optional(),
    ripeningMaxDays: z.number().int().min(0).max(30).optional(),
    goodDays: z.number().int().min(1).max(60).optional(),
    seasons: z
      .array(z.strictObject({ origin: z.string().trim().min(1).max(40), months: z.array(z.number().int().min(1).max(12)).min(1).max(12) }))
      .min(1)
      .max(10)
      .optional(),
    active: z.boolean().optional(),
    orchardId: id.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one field to change');

export function toFruitDto(f: FruitRow) {
  return {
    id: f.id,
    nameZh: f.nameZh,
    nameEn: f.nameEn,
    unit: f.unit,
    portionsPerUnit: f.portionsPerUnit,
    ripeningDays: [f.ripeningMinDays, f.ripeningMaxDays],
    readyToEat: f.ripeningMaxDays === 0,
    goodDays: f.goodDays,
    seasons: f.seasons,
    ethylene: { producer: f.ethyleneProducer, sensitive: f.ethyleneSensitive },
    unitCost: formatMoney(f.unitCost),
    orchardId: f.orchardId,
    active: f.active,
  };
}

export function toPlanDto(p: PlanRow) {
  return {
    id: p.id,
    nameZh: p.nameZh,
    nameEn: p.nameEn,
    period: p.period,
    periodDays: periodDaysOf(p.period),
    maxHousehold: p.maxHousehold,
    portionsPerPersonPerDay: p.portionsPerPersonPerDay,
    price: formatMoney(p.price),
  };
}

export function toSubscriptionDto({ subscription: s, status, nextDeliveryDate }: SubscriptionView) {
  return {
    id: s.id,
    planId: s.planId,
    startDate: s.startDate,
    firstDeliveryDate: s.firstDeliveryDate,
    deliveryWeekday: s.deliveryWeekday,
    region: s.region,
    transitDays: s.transitDays,
    householdSize: s.householdSize,
    exclusions: s.exclusions,
    status,
    pausedFrom: s.pausedFrom,
    pausedUntil: s.pausedUntil,
    nextDeliveryDate,
    createdAt: s.createdAt.toISOString(),
    cancelledAt: s.cancelledAt?.toISOString() ?? null,
  };
}

export function toDeliveryDto(d: ScheduledDelivery) {
  return {
    deliveryDate: d.deliveryDate,
    shipDate: d.shipDate,
    cutoffAt: d.cutoffAt.toISOString(),
    status: d.status,
    box: d.box ? { items: d.box.items, price: formatMoney(d.box.price), readyToEat: d.box.coverage, uncoveredDays: d.box.uncovered } : null,
  };
}
