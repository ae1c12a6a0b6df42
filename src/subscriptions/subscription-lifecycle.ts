import { Between, type FindOptionsWhere, In, Not } from 'typeorm';
import { businessDay, formatBusinessTime } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, type FieldError, badRequest, conflict, notFound } from '../platform/http/app-error';
import { idempotencyKeyReused } from '../platform/http/idempotency';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { type Fruit, planBox } from '../scheduling';
import { type BoxPlanning, HORIZON_WEEKS, boxRequest, plannerCatalogue, toPlannedContents } from './box-planning';
import {
  MAX_DAYS_AHEAD,
  REGIONS,
  addDays,
  cutoffOf,
  deliveryDates,
  deliveryOnOrAfter,
  firstDeliveryOn,
  nextOpenDelivery,
  periodDaysOf,
  shipDateOf,
} from './deliveries';
import { BoxRow, FruitRow, PlanRow, SkipRow, SubscriptionRow } from './subscription.entity';
import type { SubscriptionSchedule, SubscriptionView } from './subscription-schedule';

type Consumer = Extract<Principal, { role: 'consumer' }>;

export interface CreateSubscriptionInput {
  planId: string;
  startDate: string;
  deliveryWeekday: number;
  region: string;
  householdSize: number;
  exclusions: string[];
}

/** What a subscriber may change: applied from the next delivery whose cutoff is ahead. */
export type SubscriptionChange = Partial<Pick<CreateSubscriptionInput, 'planId' | 'householdSize' | 'exclusions'>>;

/** Which shop owner's shop a consumer is bound to at a moment (the shops module's bindings), or null. */
export interface SubscriptionAttribution {
  shopOf(userId: string, at: Date): Promise<string | null>;
}

/**
 * A subscription's life: subscribing, changing plan, household or exclusions, skipping, pausing, resuming
 * and cancelling, each accepted before the delivery's cutoff and refused after it. Each change builds or
 * drops the boxes it concerns in its own transaction (box-planning.ts).
 */
export class SubscriptionLifecycle {
  constructor(
    private readonly deps: { db: Database; clock: Clock; planning: BoxPlanning; schedule: SubscriptionSchedule; attribution: SubscriptionAttribution },
  ) {}

  /**
   * Subscribes. `subscriptionId` is the request's idempotency id: a retry of a request whose subscription
   * was written but whose answer was lost gets that subscription back instead of a second one.
   */
  async create(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string = newId()): Promise<SubscriptionView> {
    try {
      return await this.subscribe(consumer, input, subscriptionId);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const earlier = await this.subscribedBefore(consumer, input, subscriptionId);
      if (!earlier) throw idempotencyKeyReused();
      return earlier;
    }
  }

  /**
   * The subscription an earlier attempt of this request made under `subscriptionId` (its answer lost), or
   * undefined; the same key used for a different subscription is a 422. The route answers a refused retry
   * with it (`recognise`), so a check that has turned since (the start date now past) refuses nothing made.
   */
  async subscribedBefore(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string): Promise<SubscriptionView | undefined> {
    return this.deps.db.read(async (tx) => {
      const earlier = await tx.findOneBy(SubscriptionRow, { id: subscriptionId });
      if (!earlier) return undefined;
      const asked = { ...input, exclusions: [...new Set(input.exclusions)].sort() };
      const same =
        earlier.userId === consumer.userId &&
        (Object.keys(asked) as (keyof CreateSubscriptionInput)[]).every((k) => JSON.stringify(earlier[k]) === JSON.stringify(asked[k]));
      if (!same) throw idempotencyKeyReused();
      return this.deps.schedule.view(tx, earlier);
    });
  }

  private async subscribe(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string): Promise<SubscriptionView> {
    const now = this.deps.clock.now();
    const shopId = await this.deps.attribution.shopOf(consumer.userId, now);
    return this.deps.db.transaction(async (tx) => {
      const errors: FieldError[] = [];
      // Own keys only: "constructor" or "toString" is `in` every object, and is no region.
      if (!Object.hasOwn(REGIONS, input.region))
        errors.push({ path: 'body.region', message: `is not a region we deliver to (${Object.keys(REGIONS).join(', ')})`, reason: 'not_a_region' });
      const today = businessDay(now);
      if (input.startDate < today) errors.push({ path: 'body.startDate', message: 'must be today or later', reason: 'date_in_past' });
      errors.push(...tooFarAhead('body.startDate', input.startDate, today));
      const exclusions = [...new Set(input.exclusions)].sort();
      await this.checked(tx, { ...input, exclusions }, REGIONS[input.region], errors);
      const subscription = Object.assign(new SubscriptionRow(), {
        id: subscriptionId,
        userId: consumer.userId,
        ...input,
        exclusions,
        transitDays: REGIONS[input.region],
        firstDeliveryDate: firstDeliveryOn(input.startDate, input.deliveryWeekday, REGIONS[input.region], now),
        status: 'active',
        pausedFrom: null,
        pausedUntil: null,
        createdAt: now,
        cancelledAt: null,
        shopId,
      });
      await tx.insert(SubscriptionRow, subscription);
      await this.deps.planning.buildBoxes(tx, [subscription]);
      return this.deps.schedule.view(tx, subscription);
    });
  }

  /**
   * Changes household size, plan or exclusions, from the next delivery whose cutoff is ahead: boxes locked
   * at their cutoff stay as they were charged; the others are planned again. A plan with another period
   * starts its rhythm at that next delivery.
   */
  async update(consumer: Consumer, subscriptionId: string, change: SubscriptionChange): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const next = {
        planId: change.planId ?? subscription.planId,
        householdSize: change.householdSize ?? subscription.householdSize,
        exclusions: change.exclusions ? [...new Set(change.exclusions)].sort() : subscription.exclusions,
      };
      const newPlan = await this.checked(tx, next, subscription.transitDays, []);
      const now = this.deps.clock.now();
      const today = businessDay(now);
      if (newPlan.period !== plan.period) {
        const from = subscription.startDate > today ? subscription.startDate : today;
        subscription.firstDeliveryDate = firstDeliveryOn(from, subscription.deliveryWeekday, subscription.transitDays, now);
      }
      Object.assign(subscription, next);
      await tx.update(SubscriptionRow, { id: subscriptionId }, { ...next, firstDeliveryDate: subscription.firstDeliveryDate });
      // Boxes of the old rhythm that the new one does not have; the rest are planned again below.
      const rhythm = new Set(deliveryDates(subscription, periodDaysOf(newPlan.period), today, addDays(today, HORIZON_WEEKS * 7 + 1)));
      const planned = await tx.find(BoxRow, { select: { deliveryDate: true }, where: openBoxes({ subscriptionId }) });
      await this.cancelBoxes(
        tx,
        subscriptionId,
        planned.map((b) => b.deliveryDate).filter((d) => !rhythm.has(d) && this.beforeCutoff(subscription, d)),
        'plan_changed',
      );
      await this.deps.planning.buildBoxes(tx, [subscription]);
    });
  }

  /**
   * The plan a subscription asks for, checked with its household and exclusions: 400 naming every bad
   * field (with those the caller found), and 422 when no box of it could ever hold fruit.
   */
  private async checked(
    tx: Tx,
    input: Pick<CreateSubscriptionInput, 'planId' | 'householdSize' | 'exclusions'>,
    transitDays: number,
    errors: FieldError[],
  ): Promise<PlanRow> {
    const plan = await tx.findOneBy(PlanRow, { id: input.planId, active: true });
    if (!plan) errors.push({ path: 'body.planId', message: 'is not a plan (GET /v1/subscription-plans)', reason: 'not_a_plan' });
    else if (input.householdSize > plan.maxHousehold)
      errors.push({
        path: 'body.householdSize',
        message: `the ${plan.nameEn} plan is for at most ${plan.maxHousehold} people`,
        reason: 'too_big',
        limit: plan.maxHousehold,
      });
    const known = new Set((await tx.find(FruitRow, { select: { id: true } })).map((f) => f.id));
    input.exclusions.forEach(
      (id, i) => known.has(id) || errors.push({ path: `body.exclusions.${i}`, message: `"${id}" is not a fruit of the catalogue`, reason: 'not_a_fruit' }),
    );
    if (!plan || errors.length > 0)
      throw badRequest('validation_failed', `The subscription is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
    this.assertFillable(plan, { ...input, transitDays }, await plannerCatalogue(tx));
    return plan;
  }

  /**
   * Refuses a subscription no box of which could ever hold fruit: in none of the next twelve months (every
   * season) does the planner find fruit that is not excluded, ripens within the period and fits the budget.
   */
  private assertFillable(
    plan: PlanRow,
    subscription: Pick<SubscriptionRow, 'transitDays' | 'householdSize' | 'exclusions'>,
    catalogue: readonly Fruit[],
  ): void {
    const [year, month] = businessDay(this.deps.clock.now()).split('-').map(Number);
    for (let m = 0; m < 12; m++) {
      const shipDate = `${year + Math.floor((month - 1 + m) / 12)}-${String(((month - 1 + m) % 12) + 1).padStart(2, '0')}-15`;
      const deliveryDate = addDays(shipDate, subscription.transitDays);
      if (toPlannedContents(planBox(boxRequest(subscription, plan, catalogue, deliveryDate, [], null))).coveredPortions > 0) return;
    }
    const left = catalogue.filter((f) => !subscription.exclusions.includes(f.id));
    const [zh, en, reason] =
      left.length === 0
        ? ['所有水果都被排除了', 'every fruit of the catalogue is excluded', 'every_fruit_excluded']
        : [
            `排除后剩下的水果（${left.map((f) => f.nameZh).join('、')}）在任何月份都装不进这个套餐的果箱`,
            `none of the fruit left (${left.map((f) => f.id).join(', ')}) fits a box of the ${plan.nameEn} plan in any month (season, ripening or price)`,
            'no_fruit_fits',
          ];
    throw new AppError(
      422,
      'subscription_unfillable',
      `这个订阅的果箱永远装不进水果：${zh}。请少排除一些水果。 No box of this subscription could ever be filled: ${en}. Exclude fewer fruits.`,
      [{ path: 'body.exclusions', message: en, reason }],
    );
  }

  /** Skips one delivery: before its cutoff only. Skipping twice is fine. */
  async skip(consumer: Consumer, subscriptionId: string, deliveryDate: string): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      // As far ahead as a subscriber plans, no further: a skip years ahead would be kept for nothing.
      const far = tooFarAhead('body.deliveryDate', deliveryDate, businessDay(this.deps.clock.now()));
      if (far.length > 0) throw badRequest('validation_failed', `A delivery may be skipped at most ${MAX_DAYS_AHEAD} days ahead.`, far);
      const inRhythm = deliveryOnOrAfter(subscription, periodDaysOf(plan.period), deliveryDate) === deliveryDate;
      // A box of an earlier rhythm (before a change of plan) is a delivery too: past its cutoff, its answer is the 409.
      if (!inRhythm && !(await tx.existsBy(BoxRow, { subscriptionId, deliveryDate, status: Not('cancelled') }))) {
        throw badRequest('validation_failed', `${deliveryDate} is not a delivery date of this subscription.`, [
          { path: 'body.deliveryDate', message: "is not one of this subscription's delivery dates (see its schedule)", reason: 'not_a_delivery_date' },
        ]);
      }
      await this.assertBeforeCutoff(tx, subscription, deliveryDate, 'skip');
      if (!(await tx.existsBy(SkipRow, { subscriptionId, deliveryDate })))
        await tx.insert(SkipRow, { subscriptionId, deliveryDate, createdAt: this.deps.clock.now() });
      await this.cancelBoxes(tx, subscriptionId, [deliveryDate], 'skipped');
    });
  }

  /**
   * Pauses the deliveries before `until` (at most MAX_DAYS_AHEAD days ahead): from the first whose cutoff has
   * not passed, unless `from` names a later one; a `from` whose delivery is past its cutoff is refused (that box
   * is already on its way), and so is a pause with no delivery to pause. The pause starts at its first paused
   * delivery (`pausedFrom`). It replaces an earlier pause: the boxes that one paused and this one does not come
   * back at once, planned, if their cutoff is ahead.
   */
  async pause(consumer: Consumer, subscriptionId: string, input: { until: string; from?: string }): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const now = this.deps.clock.now();
      const today = businessDay(now);
      if (input.until <= today)
        throw badRequest('validation_failed', 'A pause must end after today.', [
          { path: 'body.until', message: 'must be after today', reason: 'not_in_future' },
        ]);
      const far = tooFarAhead('body.until', input.until, today);
      if (far.length > 0) throw badRequest('validation_failed', `A pause may end at most ${MAX_DAYS_AHEAD} days after today.`, far);
      const periodDays = periodDaysOf(plan.period);
      // Only the first paused delivery is worked out: the boxes are cancelled by range, however long the pause.
      const first = input.from ? deliveryOnOrAfter(subscription, periodDays, input.from) : nextOpenDelivery(subscription, periodDays, now);
      if (input.from && first < input.until) await this.assertBeforeCutoff(tx, subscription, first, 'pause');
      if (first >= input.until) {
        const next = nextOpenDelivery(subscription, periodDays, now);
        throw badRequest(
          'validation_failed',
          `暂停期间没有可以暂停的配送：下一次可更改的配送是 ${next}。 There is no delivery to pause before ${input.until}: the next one that can still change is ${next}.`,
          [{ path: 'body.until', message: `must be after the next delivery that can still change (${next})`, reason: 'not_after_next_delivery' }],
        );
      }
      Object.assign(subscription, { status: 'paused', pausedFrom: first, pausedUntil: input.until });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'paused', pausedFrom: first, pausedUntil: input.until });
      // Every box from the first paused delivery on has its cutoff ahead.
      for (const where of openBoxes({ subscriptionId, deliveryDate: Between(first, addDays(input.until, -1)) }))
        await tx.update(BoxRow, where, { status: 'cancelled', cancelReason: 'paused' });
      // Boxes an earlier pause cancelled that this one does not cover are planned again now: left cancelled, they would never ship.
      await this.deps.planning.buildBoxes(tx, [subscription]);
    });
  }

  async resume(consumer: Consumer, subscriptionId: string): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription) => {
      if (subscription.status !== 'paused') return;
      Object.assign(subscription, { status: 'active', pausedFrom: null, pausedUntil: null });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'active', pausedFrom: null, pausedUntil: null });
      await this.deps.planning.buildBoxes(tx, [subscription]);
    });
  }

  /**
   * Ends the subscription. The boxes whose cutoff is ahead are dropped; boxes past their cutoff are locked,
   * charged and being packed: they still come, and stay in the schedule.
   */
  async cancel(consumer: Consumer, subscriptionId: string): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription) => {
      Object.assign(subscription, { status: 'cancelled', cancelledAt: this.deps.clock.now() });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'cancelled', cancelledAt: subscription.cancelledAt });
      const planned = await tx.find(BoxRow, { select: { deliveryDate: true }, where: openBoxes({ subscriptionId }) });
      await this.cancelBoxes(
        tx,
        subscriptionId,
        planned.map((b) => b.deliveryDate).filter((d) => this.beforeCutoff(subscription, d)),
        'subscription_cancelled',
      );
    });
  }

  private async cancelBoxes(tx: Tx, subscriptionId: string, deliveryDates: string[], reason: string): Promise<void> {
    if (deliveryDates.length === 0) return;
    for (const where of openBoxes({ subscriptionId, deliveryDate: In(deliveryDates) }))
      await tx.update(BoxRow, where, { status: 'cancelled', cancelReason: reason });
  }

  private beforeCutoff(subscription: SubscriptionRow, deliveryDate: string): boolean {
    return this.deps.clock.now() < cutoffOf(shipDateOf(deliveryDate, subscription.transitDays));
  }

  /** Refuses a change to a delivery past its cutoff, saying what is true of it: its box is on its way, or none comes. */
  private async assertBeforeCutoff(tx: Tx, subscription: SubscriptionRow, deliveryDate: string, what: string): Promise<void> {
    if (this.beforeCutoff(subscription, deliveryDate)) return;
    const cutoff = formatBusinessTime(cutoffOf(shipDateOf(deliveryDate, subscription.transitDays)));
    if (await tx.existsBy(BoxRow, { subscriptionId: subscription.id, deliveryDate, status: Not('cancelled') })) {
      throw conflict(
        'past_cutoff',
        `The box for ${deliveryDate} was locked at its cutoff (${cutoff}): it is being packed and charged, so you can no longer ${what} it. Changes apply from the next delivery.`,
      );
    }
    throw conflict(
      'past_cutoff',
      `${deliveryDate} 的截单时间（${cutoff}）已过，这一天没有果箱配送，也不会扣款。 The cutoff for ${deliveryDate} passed at ${cutoff}: no box comes that day and nothing is charged, so there is nothing to ${what}.`,
    );
  }

  /** A change by the subscriber to their own, not cancelled, subscription, in one transaction. */
  private async change(
    consumer: Consumer,
    subscriptionId: string,
    apply: (tx: Tx, subscription: SubscriptionRow, plan: PlanRow) => Promise<void>,
  ): Promise<SubscriptionView> {
    return this.deps.db.transaction(async (tx) => {
      const subscription = await tx.findOne(SubscriptionRow, { where: { id: subscriptionId }, lock: this.deps.db.rowLock() });
      if (!subscription || subscription.userId !== consumer.userId) throw notFound('The subscription');
      if (subscription.status === 'cancelled') throw conflict('subscription_cancelled', 'This subscription is cancelled.');
      await apply(tx, subscription, await tx.findOneByOrFail(PlanRow, { id: subscription.planId }));
      return this.deps.schedule.view(tx, subscription);
    });
  }
}

/**
 * The boxes a skip, pause, change or cancel drops: planned ones, and those kept `unfillable` (nothing to send
 * yet). An unfillable box keeps a claim on fruit an orchard is short of (shortfall.ts): left `unfillable`
 * after its delivery was dropped, it took a share of a later commitment from boxes that do ship.
 */
function openBoxes(where: FindOptionsWhere<BoxRow>): FindOptionsWhere<BoxRow>[] {
  return [
    { ...where, status: 'planned' },
    { ...where, status: 'cancelled', cancelReason: 'unfillable' },
  ];
}

/** The field error for a date further ahead than a subscriber plans (MAX_DAYS_AHEAD), if it is. */
function tooFarAhead(path: string, date: string, today: string): FieldError[] {
  const latest = addDays(today, MAX_DAYS_AHEAD);
  if (date <= latest) return [];
  return [{ path, message: `must be at most ${MAX_DAYS_AHEAD} days after today (${latest} at the latest)`, reason: 'too_far_ahead', limit: MAX_DAYS_AHEAD }];
}
