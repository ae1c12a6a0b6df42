import { z } from 'zod';
import { idSchema as id } from '../platform/ids';
import { formatMoney, moneyString, parseMoney } from '../platform/money';
import { pageOf, pageQuery } from '../platform/http/paginate';
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
export const PauseBody = z.strictObject({ until: date(), from: date().optional() }).refine((pause) => pause.from === undefined || pause.from < pause.until, {
  path: ['until'],
  message: 'must be after from',
  params: { reason: 'not_after_from' },
});

export const PickingListQuery = z.strictObject({ shipDate: date('a ship date') });
export const BoxListQuery = pageQuery.extend({
  shipDate: date('a ship date').optional(),
  status: z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled']).optional(),
});
export const ShipBody = z.strictObject({ boxIds: z.array(id).min(1).max(1000) });

const BoxDocument = z.object({
  id: z.uuid(),
  subscriptionId: z.uuid(),
  deliveryDate: z.iso.date(),
  shipDate: z.iso.date(),
  cutoffAt: z.iso.datetime(),
  shipByAt: z.iso.datetime(),
  status: z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled']),
  cancelReason: z.string().nullable(),
  items: z.array(z.object({ fruitId: z.string(), units: z.number() })),
  price: moneyString,
  paymentId: z.string().nullable(),
  chargeAttempts: z.int(),
  shippedAt: z.iso.datetime().nullable(),
  compensatedAt: z.iso.datetime().nullable(),
});
export const BoxPage = pageOf(BoxDocument);

export const FruitDocument = z
  .object({
    id: z.string(),
    nameZh: z.string(),
    nameEn: z.string(),
    unit: z.enum(['piece', 'kg']),
    portionsPerUnit: z.number(),
    ripeningDays: z.tuple([z.int(), z.int()]).meta({ description: '[min, max] days after delivery at room temperature; [0, 0] = ready to eat' }),
    readyToEat: z.boolean(),
    goodDays: z.int().meta({ description: 'Days it stays good once ripe' }),
    edibleDays: z.object({ from: z.int(), until: z.int() }).nullable().meta({
      description:
        'The days after delivery it is sure to be edible, however fast it ripens: [max ripening, min ripening + goodDays − 1] (beside no ethylene producer); null when it ripens over more days than it keeps: the planner never counts it',
    }),
    seasons: z.array(z.object({ origin: z.string(), months: z.array(z.int()) })),
    ethylene: z.object({ producer: z.boolean(), sensitive: z.boolean() }),
    unitCost: moneyString,
    orchardId: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: 'Fruit' });

export const PlanDocument = z
  .object({
    id: z.string(),
    nameZh: z.string(),
    nameEn: z.string(),
    period: z.enum(['weekly', 'fortnightly']),
    periodDays: z.int(),
    maxHousehold: z.int(),
    portionsPerPersonPerDay: z.int(),
    price: moneyString,
  })
  .meta({ id: 'Plan' });

export const SubscriptionDocument = z
  .object({
    id: z.uuid(),
    planId: z.string(),
    startDate: z.iso.date(),
    firstDeliveryDate: z.iso.date().meta({
      description: 'The first delivery of the current rhythm: the first whose cutoff was ahead when subscribing (or when a change of plan changed the period)',
    }),
    deliveryWeekday: z.int(),
    region: z.string(),
    transitDays: z.int(),
    householdSize: z.int(),
    exclusions: z.array(z.string()),
    status: z
      .enum(['active', 'paused', 'cancelled'])
      .meta({ description: 'What is in effect: `paused` while the next delivery that can still change is paused' }),
    pausedFrom: z.iso.date().nullable().meta({ description: 'The first paused delivery' }),
    pausedUntil: z.iso.date().nullable().meta({ description: 'Deliveries before this date are paused' }),
    nextDeliveryDate: z.iso.date().nullable().meta({
      description:
        'The next delivery that will come with fruit in it (months ahead when the fruit left by the exclusions is out of season); null when none will within a year',
    }),
    createdAt: z.iso.datetime(),
    cancelledAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Subscription' });

const DeliveryDocument = z
  .object({
    deliveryDate: z.iso.date(),
    shipDate: z.iso.date(),
    cutoffAt: z.iso.datetime(),
    status: z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled', 'skipped', 'paused', 'preview', 'unfillable']).meta({
      description:
        'planned, locked, paid, shipped: a box that comes and is charged its `price`; preview: beyond the planning horizon, planned now (built, and may change, like a planned box); unfillable: no fruit that may go in it is in season, so nothing is sent or charged; skipped, paused, cancelled: nothing is sent or charged. A delivery whose cutoff passed with no box is not listed.',
    }),
    box: z
      .object({
        items: z.array(
          z.object({
            fruitId: z.string(),
            units: z.number(),
            portions: z.number(),
            uneatenPortions: z.number().optional().meta({
              description: 'Portions no day can eat before they go off: 0, except where covering a day needed a unit bigger than the household can finish',
            }),
            edibleFrom: z.iso.date(),
            edibleUntil: z.iso.date(),
            cost: moneyString,
            ripensFaster: z.boolean(),
          }),
        ),
        price: moneyString.meta({ description: "The plan price × the share of the period's needed portions the box covers, rounded to the fen" }),
        readyToEat: z
          .array(
            z.object({
              date: z.iso.date(),
              neededPortions: z.number(),
              plannedPortions: z.number(),
              fruits: z
                .array(z.object({ fruitId: z.string(), portions: z.number() }))
                .meta({ description: 'The planned portions by fruit, in the order they are to be eaten (soonest over first)' }),
              extraPortions: z.number().optional().meta({ description: 'Portions on top of the need: a few, and only on a covered day' }),
              extras: z.array(z.object({ fruitId: z.string(), portions: z.number() })).optional(),
            }),
          )
          .meta({ description: 'One row per day of the period' }),
        uncoveredDays: z.array(z.object({ date: z.iso.date(), missingPortions: z.number(), reason: z.enum(['nothing_ready', 'budget', 'supply']) })),
      })
      .nullable(),
  })
  .meta({ id: 'Delivery' });

export const ScheduleDocument = z
  .object({ subscription: SubscriptionDocument, plan: PlanDocument, deliveries: z.array(DeliveryDocument) })
  .meta({ id: 'Schedule' });

export const PickingList = z.object({
  shipDate: z.iso.date(),
  items: z.array(z.object({ fruitId: z.string(), nameZh: z.string(), nameEn: z.string(), unit: z.enum(['piece', 'kg']), units: z.number(), boxes: z.int() })),
});

export function toBoxDto({ box: b, items }: { box: BoxRow; items: BoxItem[] }): z.output<typeof BoxDocument> {
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

const season = z.strictObject({
  origin: z.string().trim().min(1).max(40),
  months: z
    .array(z.number().int().min(1).max(12))
    .min(1)
    .max(12)
    .refine((months) => new Set(months).size === months.length, { message: 'names a month twice', params: { reason: 'duplicate_month' } }),
});

export const UpdateFruitBody = z
  .strictObject({
    // Capped like a campaign's unit price, so that the cost reads back exactly on both databases (see MAX_UNIT_PRICE).
    // (The check runs inside the pipe, so that the description still names the field Money.)
    unitCost: moneyString
      .pipe(
        z.transform(parseMoney).refine((cost) => cost.lessThanOrEqualTo(MAX_FRUIT_UNIT_COST), {
          message: 'must be at most 100000.00',
          params: { reason: 'too_big', limit: 100000 },
        }),
      )
      .optional(),
    ripeningMinDays: z.number().int().min(0).max(30).optional(),
    ripeningMaxDays: z.number().int().min(0).max(30).optional(),
    goodDays: z.number().int().min(1).max(60).optional(),
    seasons: z
      .array(season)
      .min(1)
      .max(10)
      .superRefine((seasons, ctx) => {
        const seen = new Set<string>();
        seasons.forEach(({ origin }, i) => {
          if (seen.has(origin)) ctx.addIssue({ code: 'custom', path: [i, 'origin'], message: 'names an origin twice', params: { reason: 'duplicate_origin' } });
          seen.add(origin);
        });
      })
      .optional(),
    ethylene: z.strictObject({ producer: z.boolean(), sensitive: z.boolean() }).optional(),
    active: z.boolean().optional(),
    orchardId: id.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'send at least one field to change', params: { reason: 'nothing_to_change' } });

export function toFruitDto(f: FruitRow): z.output<typeof FruitDocument> {
  return {
    id: f.id,
    nameZh: f.nameZh,
    nameEn: f.nameEn,
    unit: f.unit,
    portionsPerUnit: f.portionsPerUnit,
    ripeningDays: [f.ripeningMinDays, f.ripeningMaxDays],
    readyToEat: f.ripeningMaxDays === 0,
    goodDays: f.goodDays,
    edibleDays: f.ripeningMaxDays <= f.ripeningMinDays + f.goodDays - 1 ? { from: f.ripeningMaxDays, until: f.ripeningMinDays + f.goodDays - 1 } : null,
    seasons: f.seasons,
    ethylene: { producer: f.ethyleneProducer, sensitive: f.ethyleneSensitive },
    unitCost: formatMoney(f.unitCost),
    orchardId: f.orchardId,
    active: f.active,
  };
}

export function toPlanDto(p: PlanRow): z.output<typeof PlanDocument> {
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

export function toSubscriptionDto({ subscription: s, status, nextDeliveryDate }: SubscriptionView): z.output<typeof SubscriptionDocument> {
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

export function toDeliveryDto(d: ScheduledDelivery): z.output<typeof DeliveryDocument> {
  return {
    deliveryDate: d.deliveryDate,
    shipDate: d.shipDate,
    cutoffAt: d.cutoffAt.toISOString(),
    status: d.status,
    box: d.box ? { items: d.box.items, price: formatMoney(d.box.price), readyToEat: d.box.coverage, uncoveredDays: d.box.uncovered } : null,
  };
}
