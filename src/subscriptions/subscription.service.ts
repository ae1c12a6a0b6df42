import { Between, In, LessThanOrEqual } from 'typeorm';
import { z } from 'zod';
import type { FactoryService } from '../factories';
import type { NotificationService } from '../notifications';
import { BUSINESS_TIME_ZONE, businessDay, formatBusinessTime, isoWeekDates } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { type Database, type SqlValue, type Tx, isUniqueViolation } from '../platform/database';
import { badRequest, conflict, notFound } from '../platform/http/app-error';
import { idempotencyKeyReused } from '../platform/http/idempotency';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { newId, newTimeOrderedId } from '../platform/ids';
import { type Jobs, defineJob } from '../platform/jobs';
import { formatMoney, sum, toFen } from '../platform/money';
import { type BoxRequest, type Fruit, type PlannedBox, planBox } from '../scheduling';
import { STARTER_PLANS, starterFruits } from './catalogue';
import { REGIONS, addDays, cutoffOf, deliveryDates, periodDaysOf, shipByOf, shipDateOf } from './deliveries';
import { fairShares } from './fair-share';
import { contentsOf, storeContents } from './box-contents';
import { BoxContentsRow, BoxRow, FruitRow, PlanRow, SkipRow, SubscriptionRow, SupplyCommitmentRow, boxContentsIdOf, type BoxItem, type BoxStatus } from './subscription.entity';

const PLAN_AHEAD_JOB = 'subscriptions.plan-ahead';
export const SHARE_SHORTFALL_JOB = 'subscriptions.share-shortfall';
/** Boxes are built this far ahead, and re-planned until their cutoff. */
export const HORIZON_WEEKS = 4;
/** How many previous boxes the planner looks at for variety. */
const VARIETY_BOXES = 2;

type Consumer = Extract<Principal, { role: 'consumer' }>;

export interface CreateSubscriptionInput {
  planId: string;
  startDate: string;
  deliveryWeekday: number;
  region: string;
  householdSize: number;
  exclusions: string[];
}

/** One delivery of a subscription as the subscriber sees it: a box (planned or made), or why there is none. */
export interface ScheduledDelivery {
  deliveryDate: string;
  shipDate: string;
  cutoffAt: Date;
  status: BoxStatus | 'skipped' | 'paused' | 'preview';
  box: (Pick<BoxRow, 'cost' | 'price'> & Pick<BoxContentsRow, 'items' | 'coverage' | 'uncovered'>) | undefined;
}

/** A planned box: its contents (items, ready-to-eat table, uncovered days) and what its fruit costs us. */
interface PlannedContents {
  contents: BoxContentsRow;
  cost: BoxRow['cost'];
}

/**
 * Fruit-box subscriptions: the catalogue and plans, subscribing, skipping, pausing, cancelling (each
 * accepted before the delivery's cutoff and refused after it), and building each box ahead with the
 * ripeness-aware planner (src/scheduling). One box per subscription and delivery date, by a unique key.
 */
export class SubscriptionService {
  constructor(private readonly deps: { db: Database; clock: Clock; jobs: Jobs; notifications: NotificationService; factories: Pick<FactoryService, 'kindOf'> }) {
    deps.jobs.register(
      defineJob({
        name: PLAN_AHEAD_JOB, payload: z.strictObject({}), schedule: { cron: '5 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
        handle: async () => void (await this.planAhead()),
      }),
      defineJob({ name: SHARE_SHORTFALL_JOB, payload: z.strictObject({ fruitId: z.string(), week: z.string() }), handle: async ({ fruitId, week }) => this.shareShortfall(fruitId, week) }),
    );
  }

  // ---- catalogue and plans ----

  /** On a new installation, the starter catalogue and plans; an installation that has them is left alone. */
  async ensureCatalogue(): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      if ((await tx.count(FruitRow)) === 0) await tx.insert(FruitRow, starterFruits(this.deps.clock.now()));
      if ((await tx.count(PlanRow)) === 0) await tx.insert(PlanRow, STARTER_PLANS.map((p) => ({ ...p, active: true })));
    });
  }

  async fruits(): Promise<FruitRow[]> {
    return this.deps.db.read((tx) => tx.find(FruitRow, { where: { active: true }, order: { id: 'ASC' } }));
  }

  async plans(): Promise<PlanRow[]> {
    return this.deps.db.read((tx) => tx.find(PlanRow, { where: { active: true }, order: { id: 'ASC' } }));
  }

  /** An operator's change to a fruit; boxes not yet locked follow it at the next planning run. */
  async updateFruit(fruitId: string, patch: Partial<Pick<FruitRow, 'unitCost' | 'seasons' | 'ripeningMinDays' | 'ripeningMaxDays' | 'goodDays' | 'active' | 'orchardId'>>): Promise<FruitRow> {
    return this.deps.db.transaction(async (tx) => {
      const fruit = await tx.findOneBy(FruitRow, { id: fruitId });
      if (!fruit) throw notFound('The fruit');
      Object.assign(fruit, patch, { updatedAt: this.deps.clock.now() });
      if (fruit.ripeningMinDays > fruit.ripeningMaxDays) throw badRequest('validation_failed', 'ripeningMinDays must not be above ripeningMaxDays.', [{ path: 'body.ripeningMinDays', message: 'must not be above ripeningMaxDays' }]);
      if (patch.orchardId && (await this.deps.factories.kindOf(tx, patch.orchardId)) !== 'orchard') {
        throw badRequest('validation_failed', 'orchardId must be an orchard: a factory of kind "orchard".', [{ path: 'body.orchardId', message: 'is not an orchard' }]);
      }
      await tx.save(fruit);
      // Edits come in bursts (an operator going through the prices): one planning run at the start of the
      // next minute for all the edits of this one, instead of a run of the whole planning job per edit.
      const runAt = new Date(Math.floor(this.deps.clock.now().getTime() / 60_000) * 60_000 + 60_000);
      await this.deps.jobs.enqueue(tx, PLAN_AHEAD_JOB, {}, { key: `after-fruit-edits:${runAt.toISOString()}`, runAt });
      return fruit;
    });
  }

  // ---- subscriptions ----

  /**
   * Subscribes. `subscriptionId` is the request's idempotency id: a retry of a request whose subscription
   * was written but whose answer was lost gets that subscription back instead of a second one.
   */
  async create(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string = newId()): Promise<SubscriptionRow> {
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
  async subscribedBefore(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string): Promise<SubscriptionRow | undefined> {
    const earlier = await this.deps.db.read((tx) => tx.findOneBy(SubscriptionRow, { id: subscriptionId }));
    if (!earlier) return undefined;
    const asked = { ...input, exclusions: [...new Set(input.exclusions)].sort() };
    const same = earlier.userId === consumer.userId && (Object.keys(asked) as (keyof CreateSubscriptionInput)[]).every((k) => JSON.stringify(earlier[k]) === JSON.stringify(asked[k]));
    if (!same) throw idempotencyKeyReused();
    return earlier;
  }

  private async subscribe(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string): Promise<SubscriptionRow> {
    const today = businessDay(this.deps.clock.now());
    return this.deps.db.transaction(async (tx) => {
      const plan = await tx.findOneBy(PlanRow, { id: input.planId, active: true });
      if (!plan) throw badRequest('validation_failed', 'There is no such plan.', [{ path: 'body.planId', message: 'is not a plan (GET /v1/subscription-plans)' }]);
      const errors = [];
      if (input.householdSize > plan.maxHousehold) errors.push({ path: 'body.householdSize', message: `the ${plan.nameEn} plan is for at most ${plan.maxHousehold} people` });
      // Own keys only: "constructor" or "toString" is `in` every object, and is no region.
      if (!Object.hasOwn(REGIONS, input.region)) errors.push({ path: 'body.region', message: `is not a region we deliver to (${Object.keys(REGIONS).join(', ')})` });
      if (input.startDate < today) errors.push({ path: 'body.startDate', message: 'must be today or later' });
      const known = new Set((await tx.find(FruitRow, { select: { id: true } })).map((f) => f.id));
      input.exclusions.forEach((id, i) => known.has(id) || errors.push({ path: `body.exclusions.${i}`, message: `"${id}" is not a fruit of the catalogue` }));
      if (errors.length > 0) throw badRequest('validation_failed', `The subscription is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
      const subscription = Object.assign(new SubscriptionRow(), {
        id: subscriptionId, userId: consumer.userId, ...input, exclusions: [...new Set(input.exclusions)].sort(), transitDays: REGIONS[input.region],
        status: 'active', pausedUntil: null, createdAt: this.deps.clock.now(), cancelledAt: null,
      });
      await tx.insert(SubscriptionRow, subscription);
      await this.buildBoxes(tx, [subscription]);
      return subscription;
    });
  }

  async get(actor: Principal, subscriptionId: string): Promise<SubscriptionRow> {
    return this.deps.db.read((tx) => this.visible(tx, actor, subscriptionId));
  }

  async listMine(userId: string, page: PageQuery): Promise<{ items: SubscriptionRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(SubscriptionRow, { where: { userId }, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }));
    return { items, total };
  }

  /** The next `weeks` weeks of deliveries: boxes already built, and a preview planned now for the ones further out. */
  async schedule(actor: Principal, subscriptionId: string, weeks: number): Promise<{ subscription: SubscriptionRow; plan: PlanRow; deliveries: ScheduledDelivery[] }> {
    return this.deps.db.read(async (tx) => {
      const subscription = await this.visible(tx, actor, subscriptionId);
      const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
      const today = businessDay(this.deps.clock.now());
      const dates = subscription.status === 'cancelled' ? [] : deliveryDates(subscription, periodDaysOf(plan.period), today, addDays(today, weeks * 7 + 1));
      const boxes = new Map((await tx.find(BoxRow, { where: { subscriptionId, deliveryDate: In(dates) } })).map((b) => [b.deliveryDate, b]));
      const boxContents = await contentsOf(tx, boxes.values());
      const skips = new Set((await tx.find(SkipRow, { where: { subscriptionId } })).map((s) => s.deliveryDate));
      const catalogue = await this.catalogue(tx);
      const deliveries: ScheduledDelivery[] = [];
      let recent = await this.recentContents(tx, subscriptionId, today);
      for (const deliveryDate of dates) {
        const shipDate = shipDateOf(deliveryDate, subscription.transitDays);
        const base = { deliveryDate, shipDate, cutoffAt: cutoffOf(shipDate) };
        const box = boxes.get(deliveryDate);
        if (skips.has(deliveryDate)) deliveries.push({ ...base, status: 'skipped', box: undefined });
        else if (box && box.status !== 'cancelled') {
          const { items, coverage, uncovered } = boxContents.get(box.contentsId)!;
          deliveries.push({ ...base, status: box.status, box: { items, coverage, uncovered, cost: box.cost, price: box.price } });
        }
        else if (isPaused(subscription, deliveryDate)) deliveries.push({ ...base, status: 'paused', box: undefined });
        else if (box) deliveries.push({ ...base, status: 'cancelled', box: undefined });
        else {
          const { contents: { items, coverage, uncovered }, cost } = toPlannedContents(this.plan(subscription, plan, catalogue, deliveryDate, recent));
          deliveries.push({ ...base, status: 'preview', box: { items, coverage, uncovered, cost, price: plan.price } });
        }
        const contents = deliveries.at(-1)!.box?.items.map((i) => i.fruitId);
        if (contents) recent = [contents, ...recent].slice(0, VARIETY_BOXES);
      }
      return { subscription, plan, deliveries };
    });
  }

  /** Skips one delivery: before its cutoff only. Skipping twice is fine. */
  async skip(consumer: Consumer, subscriptionId: string, deliveryDate: string): Promise<SubscriptionRow> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const [date] = deliveryDates(subscription, periodDaysOf(plan.period), deliveryDate, addDays(deliveryDate, 1));
      if (date !== deliveryDate) throw badRequest('validation_failed', `${deliveryDate} is not a delivery date of this subscription.`, [{ path: 'body.deliveryDate', message: 'is not one of this subscription\'s delivery dates (see its schedule)' }]);
      this.assertBeforeCutoff(subscription, deliveryDate, 'skip');
      if (!(await tx.existsBy(SkipRow, { subscriptionId, deliveryDate }))) await tx.insert(SkipRow, { subscriptionId, deliveryDate, createdAt: this.deps.clock.now() });
      await this.cancelBoxes(tx, subscriptionId, [deliveryDate], 'skipped');
    });
  }

  /**
   * Pauses deliveries until a date. From the first delivery whose cutoff has not passed, unless `from`
   * names a later one; a `from` whose delivery is past its cutoff is refused (that box is already on its way).
   */
  async pause(consumer: Consumer, subscriptionId: string, input: { until: string; from?: string }): Promise<SubscriptionRow> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const today = businessDay(this.deps.clock.now());
      if (input.until <= today) throw badRequest('validation_failed', 'A pause must end after today.', [{ path: 'body.until', message: 'must be after today' }]);
      const from = input.from ?? today;
      const [first] = deliveryDates(subscription, periodDaysOf(plan.period), from, input.until);
      if (input.from && first) this.assertBeforeCutoff(subscription, first, 'pause');
      Object.assign(subscription, { status: 'paused', pausedUntil: input.until });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'paused', pausedUntil: input.until });
      const paused = deliveryDates(subscription, periodDaysOf(plan.period), from, input.until).filter((d) => this.beforeCutoff(subscription, d));
      await this.cancelBoxes(tx, subscriptionId, paused, 'paused');
    });
  }

  async resume(consumer: Consumer, subscriptionId: string): Promise<SubscriptionRow> {
    return this.change(consumer, subscriptionId, async (tx, subscription) => {
      if (subscription.status !== 'paused') return;
      Object.assign(subscription, { status: 'active', pausedUntil: null });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'active', pausedUntil: null });
      await this.buildBoxes(tx, [subscription]);
    });
  }

  /** Ends the subscription. Boxes past their cutoff are already locked and charged: they still come. */
  async cancel(consumer: Consumer, subscriptionId: string): Promise<SubscriptionRow> {
    return this.change(consumer, subscriptionId, async (tx, subscription) => {
      Object.assign(subscription, { status: 'cancelled', cancelledAt: this.deps.clock.now() });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'cancelled', cancelledAt: subscription.cancelledAt });
      const planned = await tx.find(BoxRow, { select: { deliveryDate: true }, where: { subscriptionId, status: 'planned' } });
      await this.cancelBoxes(tx, subscriptionId, planned.map((b) => b.deliveryDate).filter((d) => this.beforeCutoff(subscription, d)), 'subscription_cancelled');
    });
  }

  // ---- fulfilment ----

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

  /** Boxes by ship date and status, for the packing house (operators). */
  async boxes(query: PageQuery & { shipDate?: string; status?: BoxStatus }): Promise<{ items: { box: BoxRow; items: BoxItem[] }[]; total: number }> {
    const where = { ...(query.shipDate ? { shipDate: query.shipDate } : {}), ...(query.status ? { status: query.status } : {}) };
    return this.deps.db.read(async (tx) => {
      const [boxes, total] = await tx.findAndCount(BoxRow, { where, order: { shipDate: 'ASC', id: 'ASC' }, skip: query.offset, take: query.limit });
      const contents = await contentsOf(tx, boxes);
      return { items: boxes.map((box) => ({ box, items: contents.get(box.contentsId)!.items })), total };
    });
  }

  /**
   * An orchard committed fewer units of a fruit for a week than the boxes need: boxes already locked
   * keep theirs (they are charged and packed), and what is left is shared fairly between the boxes still
   * planned (fair-share.ts). Each affected box is planned again within its share; the planner covers
   * the days with other fruit where it can, and names the days it cannot ('supply').
   */
  async shareShortfall(fruitId: string, week: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const commitment = await tx.findOneBy(SupplyCommitmentRow, { fruitId, shipWeek: week });
      if (!commitment) return;
      const { first, last } = isoWeekDates(week);
      const boxes = await tx.find(BoxRow, { where: { shipDate: Between(first, last), status: In(['planned', 'locked', 'paid', 'shipped']) }, lock: this.deps.db.rowLock() });
      const contents = await contentsOf(tx, boxes);
      const unitsOf = (box: BoxRow) => contents.get(box.contentsId)!.items.filter((i) => i.fruitId === fruitId).reduce((total, i) => total + i.units, 0);
      const fixed = boxes.filter((b) => b.status !== 'planned').reduce((total, b) => total + unitsOf(b), 0);
      // A box's need is what it asked for before any earlier share cut it.
      const planned = boxes.filter((b) => b.status === 'planned' && (unitsOf(b) > 0 || b.unitLimits?.[fruitId] !== undefined));
      const needs = planned.map((b) => ({ id: b.id, units: Math.max(unitsOf(b), b.unitLimits?.[fruitId] ?? 0) }));
      const shares = fairShares(commitment.units - fixed, needs);
      for (const box of planned) {
        const share = shares.get(box.id)!;
        const unitLimits = { ...(box.unitLimits ?? {}), [fruitId]: share };
        box.unitLimits = unitLimits;
        await tx.update(BoxRow, { id: box.id, status: 'planned' }, { unitLimits });
      }
      const subscriptions = await tx.find(SubscriptionRow, { where: { id: In([...new Set(planned.map((b) => b.subscriptionId))]) } });
      await this.buildBoxes(tx, subscriptions);
    });
  }

  // ---- planning ----

  /**
   * The planning job: for every active subscription, the boxes of the next HORIZON_WEEKS weeks are
   * built, and those not yet locked are planned again (the catalogue, seasons or supply may have
   * changed). Idempotent: a box is one row per subscription and delivery date.
   */
  async planAhead(batchSize = 1000): Promise<{ subscriptions: number; boxesPlanned: number }> {
    let after = '';
    let subscriptions = 0;
    let boxesPlanned = 0;
    // Two batches in flight: one is planned (CPU, here) while the other's boxes are written (the database).
    const inFlight: Promise<void>[] = [];
    const run = await this.deps.db.read((tx) => this.planningRun(tx));
    for (;;) {
      const ids = await this.deps.db.read(async (tx) =>
        (await tx.createQueryBuilder(SubscriptionRow, 's').select('s.id', 'id').where("s.status <> 'cancelled' AND s.id > :after", { after }).orderBy('s.id', 'ASC').limit(batchSize).getRawMany<{ id: string }>()).map((r) => r.id),
      );
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      subscriptions += ids.length;
      const batch = this.deps.db.transaction(async (tx) => {
        const planned = await this.buildBoxes(tx, await tx.find(SubscriptionRow, { where: { id: In(ids) } }), run);
        boxesPlanned += planned;
      });
      // Awaited below; marked handled now so a failure while the other batch is awaited is not an unhandled rejection.
      batch.catch(() => undefined);
      inFlight.push(batch);
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return { subscriptions, boxesPlanned };
  }

  /** Builds or re-plans the boxes of these subscriptions within the horizon; returns how many boxes were (re)planned. */
  private async buildBoxes(tx: Tx, subscriptions: readonly SubscriptionRow[], run?: PlanningRun): Promise<number> {
    const now = this.deps.clock.now();
    const today = businessDay(now);
    const until = addDays(today, HORIZON_WEEKS * 7);
    const { plans, catalogue, planned: plannedBefore } = run ?? (await this.planningRun(tx));
    const ids = subscriptions.map((s) => s.id);
    const existing = await tx.find(BoxRow, { where: { subscriptionId: In(ids), deliveryDate: LessThanOrEqual(until) } });
    const boxesOf = new Map<string, Map<string, BoxRow>>();
    for (const box of existing) boxesOf.set(box.subscriptionId, (boxesOf.get(box.subscriptionId) ?? new Map()).set(box.deliveryDate, box));
    const skipped = new Set((await tx.find(SkipRow, { where: { subscriptionId: In(ids) } })).map((s) => `${s.subscriptionId}|${s.deliveryDate}`));
    const existingContents = await contentsOf(tx, existing);
    const fruitIdsOf = (box: BoxRow) => existingContents.get(box.contentsId)!.items.map((i) => i.fruitId);

    const inserts: BoxRow[] = [];
    const newContents = new Map<string, BoxContentsRow>();
    let replanned = 0;
    for (const subscription of subscriptions) {
      if (subscription.status === 'cancelled') continue;
      const plan = plans.get(subscription.planId)!;
      const boxes = boxesOf.get(subscription.id) ?? new Map<string, BoxRow>();
      let recent = [...boxes.values()].filter((b) => b.deliveryDate < today && b.status !== 'cancelled').sort((a, b) => b.deliveryDate.localeCompare(a.deliveryDate)).slice(0, VARIETY_BOXES).map(fruitIdsOf);
      for (const deliveryDate of deliveryDates(subscription, periodDaysOf(plan.period), today, until)) {
        const shipDate = shipDateOf(deliveryDate, subscription.transitDays);
        const cutoffAt = cutoffOf(shipDate);
        const box = boxes.get(deliveryDate);
        const wanted = !skipped.has(`${subscription.id}|${deliveryDate}`) && !isPaused(subscription, deliveryDate);
        if (cutoffAt <= now || !wanted || (box && box.status !== 'planned' && box.status !== 'cancelled') || (box?.status === 'cancelled' && box.cancelReason === 'charge_failed')) {
          if (box && box.status !== 'cancelled') recent = [fruitIdsOf(box), ...recent].slice(0, VARIETY_BOXES);
          continue;
        }
        const request = boxRequest(subscription, plan, catalogue, deliveryDate, recent, box?.unitLimits ?? null);
        const key = JSON.stringify({ ...request, catalogue: undefined, unitLimits: request.unitLimits && [...request.unitLimits] });
        let planned = plannedBefore.get(key);
        if (!planned) {
          // Bounded: a run holds at most this many distinct boxes in memory.
          if (plannedBefore.size >= 50_000) plannedBefore.clear();
          plannedBefore.set(key, (planned = toPlannedContents(planBox(request))));
        }
        const { contents, cost } = planned;
        recent = [contents.items.map((i) => i.fruitId), ...recent].slice(0, VARIETY_BOXES);
        if (!box) {
          inserts.push(Object.assign(new BoxRow(), {
            // Time-ordered: a planning run appends its boxes to the end of the table's index instead of all over it.
            id: newTimeOrderedId(), subscriptionId: subscription.id, userId: subscription.userId, deliveryDate, shipDate, cutoffAt, shipByAt: shipByOf(shipDate),
            status: 'planned', cancelReason: null, contentsId: contents.id, cost, price: plan.price, unitLimits: null, paymentId: null, chargeAttempts: 0, plannedAt: now, lockedAt: null, shippedAt: null, compensatedAt: null,
          }));
        } else if (box.status === 'cancelled' || box.contentsId !== contents.id || !box.price.equals(plan.price)) {
          await tx.update(BoxRow, { id: box.id, status: box.status }, { status: 'planned', cancelReason: null, contentsId: contents.id, cost, price: plan.price, plannedAt: now });
        } else continue;
        newContents.set(contents.id, contents);
        replanned += 1;
      }
    }
    // Plain multi-row INSERTs (a planning run writes hundreds of thousands of boxes), in chunks under the
    // databases' parameter limits. The unique key (subscription, date) refuses doubles.
    await storeContents(this.deps.db, tx, newContents.values());
    for (let i = 0; i < inserts.length; i += 200) await this.deps.db.insertRows(tx, 'fruit_boxes', inserts.slice(i, i + 200).map(boxColumns));
    return replanned;
  }

  /** What one planning pass reads once: the plans and the catalogue; and the boxes it has planned so far, by request. */
  private async planningRun(tx: Tx): Promise<PlanningRun> {
    return { plans: new Map((await tx.find(PlanRow)).map((p) => [p.id, p])), catalogue: await this.catalogue(tx), planned: new Map() };
  }

  private plan(subscription: SubscriptionRow, plan: PlanRow, catalogue: readonly Fruit[], deliveryDate: string, recentBoxes: string[][], unitLimits: Record<string, number> | null = null): PlannedBox {
    return planBox(boxRequest(subscription, plan, catalogue, deliveryDate, recentBoxes, unitLimits));
  }

  private async catalogue(tx: Tx): Promise<Fruit[]> {
    return (await tx.find(FruitRow, { where: { active: true }, order: { id: 'ASC' } })).map(toPlannerFruit);
  }

  private async recentContents(tx: Tx, subscriptionId: string, before: string): Promise<string[][]> {
    const boxes = await tx
      .createQueryBuilder(BoxRow, 'b')
      .where("b.subscription_id = :subscriptionId AND b.delivery_date < :before AND b.status <> 'cancelled'", { subscriptionId, before })
      .orderBy('b.delivery_date', 'DESC')
      .limit(VARIETY_BOXES)
      .getMany();
    const contents = await contentsOf(tx, boxes);
    return boxes.map((b) => contents.get(b.contentsId)!.items.map((i) => i.fruitId));
  }

  private async cancelBoxes(tx: Tx, subscriptionId: string, deliveryDates: string[], reason: string): Promise<void> {
    if (deliveryDates.length === 0) return;
    await tx.update(BoxRow, { subscriptionId, deliveryDate: In(deliveryDates), status: 'planned' }, { status: 'cancelled', cancelReason: reason });
  }

  private beforeCutoff(subscription: SubscriptionRow, deliveryDate: string): boolean {
    return this.deps.clock.now() < cutoffOf(shipDateOf(deliveryDate, subscription.transitDays));
  }

  private assertBeforeCutoff(subscription: SubscriptionRow, deliveryDate: string, what: string): void {
    if (this.beforeCutoff(subscription, deliveryDate)) return;
    const cutoff = cutoffOf(shipDateOf(deliveryDate, subscription.transitDays));
    throw conflict('past_cutoff', `The box for ${deliveryDate} was locked at its cutoff (${formatBusinessTime(cutoff)}): it is being packed and charged, so you can no longer ${what} it. Changes apply from the next delivery.`);
  }

  /** A change by the subscriber to their own, not cancelled, subscription, in one transaction. */
  private async change(consumer: Consumer, subscriptionId: string, apply: (tx: Tx, subscription: SubscriptionRow, plan: PlanRow) => Promise<void>): Promise<SubscriptionRow> {
    return this.deps.db.transaction(async (tx) => {
      const subscription = await tx.findOne(SubscriptionRow, { where: { id: subscriptionId }, lock: this.deps.db.rowLock() });
      if (!subscription || subscription.userId !== consumer.userId) throw notFound('The subscription');
      if (subscription.status === 'cancelled') throw conflict('subscription_cancelled', 'This subscription is cancelled.');
      await apply(tx, subscription, await tx.findOneByOrFail(PlanRow, { id: subscription.planId }));
      return subscription;
    });
  }

  private async visible(tx: Tx, actor: Principal, subscriptionId: string): Promise<SubscriptionRow> {
    const subscription = await tx.findOneBy(SubscriptionRow, { id: subscriptionId });
    if (!subscription || !(actor.role === 'operator' || (actor.role === 'consumer' && actor.userId === subscription.userId))) throw notFound('The subscription');
    return subscription;
  }
}

/**
 * One planning pass. Many households ask the planner the same thing (plan, household size, dates,
 * exclusions, recent boxes) and it is pure, so each distinct request is planned once per pass and its
 * box copied to the others: the planning job for 100,000 subscriptions plans a few thousand boxes.
 */
interface PlanningRun {
  plans: Map<string, PlanRow>;
  catalogue: Fruit[];
  planned: Map<string, PlannedContents>;
}

/** What the planner is asked for one delivery of a subscription. */
export function boxRequest(
  subscription: Pick<SubscriptionRow, 'transitDays' | 'householdSize' | 'exclusions'>, plan: PlanRow, catalogue: readonly Fruit[], deliveryDate: string,
  recentBoxes: string[][], unitLimits: Record<string, number> | null,
): BoxRequest {
  return {
    deliveryDate, shipDate: shipDateOf(deliveryDate, subscription.transitDays), periodDays: periodDaysOf(plan.period), householdSize: subscription.householdSize,
    portionsPerPersonPerDay: plan.portionsPerPersonPerDay, exclusions: subscription.exclusions, budget: plan.fruitBudget, recentBoxes, catalogue,
    unitLimits: unitLimits ? new Map(Object.entries(unitLimits)) : undefined,
  };
}

function boxColumns(b: BoxRow): Record<string, SqlValue> {
  return {
    id: b.id, subscription_id: b.subscriptionId, user_id: b.userId, delivery_date: b.deliveryDate, ship_date: b.shipDate, cutoff_at: b.cutoffAt, ship_by_at: b.shipByAt,
    status: b.status, cancel_reason: b.cancelReason, contents_id: b.contentsId,
    cost_fen: toFen(b.cost), price_fen: toFen(b.price), unit_limits: b.unitLimits === null ? null : JSON.stringify(b.unitLimits), payment_id: b.paymentId,
    charge_attempts: b.chargeAttempts, planned_at: b.plannedAt, locked_at: b.lockedAt, shipped_at: b.shippedAt, compensated_at: b.compensatedAt,
  };
}

function isPaused(subscription: Pick<SubscriptionRow, 'status' | 'pausedUntil'>, deliveryDate: string): boolean {
  return subscription.status === 'paused' && subscription.pausedUntil !== null && deliveryDate < subscription.pausedUntil;
}

export function toPlannerFruit(f: FruitRow): Fruit {
  return {
    id: f.id, nameZh: f.nameZh, nameEn: f.nameEn, unit: f.unit, portionsPerUnit: f.portionsPerUnit, ripeningDays: [f.ripeningMinDays, f.ripeningMaxDays], goodDays: f.goodDays,
    seasons: f.seasons, ethylene: { producer: f.ethyleneProducer, sensitive: f.ethyleneSensitive }, unitCost: f.unitCost,
  };
}

function toPlannedContents(planned: PlannedBox): PlannedContents {
  const contents = { items: planned.items.map((i) => ({ ...i, cost: formatMoney(i.cost) })), coverage: planned.coverage, uncovered: planned.uncoveredDays };
  return { contents: Object.assign(new BoxContentsRow(), { id: boxContentsIdOf(contents), ...contents }), cost: sum(planned.items.map((i) => i.cost)) };
}
