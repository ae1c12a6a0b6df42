import { Between, In, LessThanOrEqual, Not } from 'typeorm';
import type { FactoryService } from '../factories';
import type { NotificationService } from '../notifications';
import { businessDay, formatBusinessTime, isoWeekDates } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, type FieldError, badRequest, conflict, notFound } from '../platform/http/app-error';
import { idempotencyKeyReused } from '../platform/http/idempotency';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { newId, newTimeOrderedId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { type Decimal, formatMoney, roundToFen, sum } from '../platform/money';
import { type BoxRequest, type Fruit, type PlannedBox, planBox } from '../scheduling';
import { STARTER_PLANS, starterFruits } from './catalogue';
import { REGIONS, addDays, cutoffOf, deliveryDates, firstDeliveryOn, nextOpenDelivery, periodDaysOf, shipByOf, shipDateOf } from './deliveries';
import { fairShares } from './fair-share';
import { contentsOf, storeContents } from './box-contents';
import { BoxContentsRow, BoxRow, FruitRow, PlanRow, SkipRow, SubscriptionRow, SupplyCommitmentRow, boxContentsIdOf, type BoxItem, type BoxStatus } from './subscription.entity';

export const PLAN_AHEAD_JOB = 'subscriptions.plan-ahead';
export const SHARE_SHORTFALL_JOB = 'subscriptions.share-shortfall';
/** Boxes are built this far ahead, and re-planned until their cutoff. */
export const HORIZON_WEEKS = 4;
/** How many previous boxes the planner looks at for variety. */
const VARIETY_BOXES = 2;
/** How far ahead the next delivery is looked for: a year holds every season once. */
const NEXT_DELIVERY_WEEKS = 53;
/** What a box row holds that still comes: packed, charged and shipped (a planned one past its cutoff is locked at the next run). */
const COMES: readonly ScheduledDelivery['status'][] = ['planned', 'locked', 'paid', 'shipped', 'preview'];

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

/**
 * A subscription as its subscriber sees it: `status` is what is in effect (paused only while the next
 * delivery that can still change is paused), and the next delivery that will come with fruit in it.
 */
export interface SubscriptionView {
  subscription: SubscriptionRow;
  status: SubscriptionRow['status'];
  nextDeliveryDate: string | null;
}

/**
 * One delivery of a subscription as the subscriber sees it: a box (planned or made), or why there is none.
 * `unfillable`: no fruit that may go in the box fits it (season, exclusions): not packed, not charged.
 */
export interface ScheduledDelivery {
  deliveryDate: string;
  shipDate: string;
  cutoffAt: Date;
  status: BoxStatus | 'skipped' | 'paused' | 'preview' | 'unfillable';
  box: (Pick<BoxRow, 'cost' | 'price'> & Pick<BoxContentsRow, 'items' | 'coverage' | 'uncovered'>) | undefined;
}

/** A planned box: its contents (items, ready-to-eat table, uncovered days), what its fruit costs us, and the portions of need it covers. */
interface PlannedContents {
  contents: BoxContentsRow;
  cost: BoxRow['cost'];
  coveredPortions: number;
  neededPortions: number;
}

/**
 * Fruit-box subscriptions: the catalogue and plans, subscribing, skipping, pausing, cancelling (each
 * accepted before the delivery's cutoff and refused after it), and building each box ahead with the
 * ripeness-aware planner (src/scheduling). One box per subscription and delivery date, by a unique key.
 */
export class SubscriptionService {
  constructor(private readonly deps: { db: Database; clock: Clock; jobs: Jobs; notifications: NotificationService; factories: Pick<FactoryService, 'kindOf'> }) {}

  // ---- catalogue and plans ----

  /** On a new installation, the starter catalogue and plans; an installation that has them is left alone. */
  async ensureCatalogue(): Promise<void> {
    try {
      await this.deps.db.transaction(async (tx) => {
        if ((await tx.count(FruitRow)) === 0) await tx.insert(FruitRow, starterFruits(this.deps.clock.now()));
        if ((await tx.count(PlanRow)) === 0) await tx.insert(PlanRow, STARTER_PLANS.map((p) => ({ ...p, active: true })));
      });
    } catch (error) {
      // A second process starting on the same new database (the CLI beside the service) put them in first.
      if (!isUniqueViolation(error)) throw error;
    }
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
      const same = earlier.userId === consumer.userId && (Object.keys(asked) as (keyof CreateSubscriptionInput)[]).every((k) => JSON.stringify(earlier[k]) === JSON.stringify(asked[k]));
      if (!same) throw idempotencyKeyReused();
      return this.view(tx, earlier);
    });
  }

  private async subscribe(consumer: Consumer, input: CreateSubscriptionInput, subscriptionId: string): Promise<SubscriptionView> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const errors: FieldError[] = [];
      // Own keys only: "constructor" or "toString" is `in` every object, and is no region.
      if (!Object.hasOwn(REGIONS, input.region)) errors.push({ path: 'body.region', message: `is not a region we deliver to (${Object.keys(REGIONS).join(', ')})` });
      if (input.startDate < businessDay(now)) errors.push({ path: 'body.startDate', message: 'must be today or later' });
      const exclusions = [...new Set(input.exclusions)].sort();
      await this.checked(tx, { ...input, exclusions }, REGIONS[input.region], errors);
      const subscription = Object.assign(new SubscriptionRow(), {
        id: subscriptionId, userId: consumer.userId, ...input, exclusions, transitDays: REGIONS[input.region],
        firstDeliveryDate: firstDeliveryOn(input.startDate, input.deliveryWeekday, REGIONS[input.region], now),
        status: 'active', pausedFrom: null, pausedUntil: null, createdAt: now, cancelledAt: null,
      });
      await tx.insert(SubscriptionRow, subscription);
      await this.buildBoxes(tx, [subscription]);
      return this.view(tx, subscription);
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
      const planned = await tx.find(BoxRow, { select: { deliveryDate: true }, where: { subscriptionId, status: 'planned' } });
      await this.cancelBoxes(tx, subscriptionId, planned.map((b) => b.deliveryDate).filter((d) => !rhythm.has(d) && this.beforeCutoff(subscription, d)), 'plan_changed');
      await this.buildBoxes(tx, [subscription]);
    });
  }

  /**
   * The plan a subscription asks for, checked with its household and exclusions: 400 naming every bad
   * field (with those the caller found), and 422 when no box of it could ever hold fruit.
   */
  private async checked(tx: Tx, input: Pick<CreateSubscriptionInput, 'planId' | 'householdSize' | 'exclusions'>, transitDays: number, errors: FieldError[]): Promise<PlanRow> {
    const plan = await tx.findOneBy(PlanRow, { id: input.planId, active: true });
    if (!plan) errors.push({ path: 'body.planId', message: 'is not a plan (GET /v1/subscription-plans)' });
    else if (input.householdSize > plan.maxHousehold) errors.push({ path: 'body.householdSize', message: `the ${plan.nameEn} plan is for at most ${plan.maxHousehold} people` });
    const known = new Set((await tx.find(FruitRow, { select: { id: true } })).map((f) => f.id));
    input.exclusions.forEach((id, i) => known.has(id) || errors.push({ path: `body.exclusions.${i}`, message: `"${id}" is not a fruit of the catalogue` }));
    if (!plan || errors.length > 0) throw badRequest('validation_failed', `The subscription is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
    this.assertFillable(plan, { ...input, transitDays }, await this.catalogue(tx));
    return plan;
  }

  /**
   * Refuses a subscription no box of which could ever hold fruit: in none of the next twelve months (every
   * season) does the planner find fruit that is not excluded, ripens within the period and fits the budget.
   */
  private assertFillable(plan: PlanRow, subscription: Pick<SubscriptionRow, 'transitDays' | 'householdSize' | 'exclusions'>, catalogue: readonly Fruit[]): void {
    const [year, month] = businessDay(this.deps.clock.now()).split('-').map(Number);
    for (let m = 0; m < 12; m++) {
      const shipDate = `${year + Math.floor((month - 1 + m) / 12)}-${String(((month - 1 + m) % 12) + 1).padStart(2, '0')}-15`;
      const deliveryDate = addDays(shipDate, subscription.transitDays);
      if (toPlannedContents(planBox(boxRequest(subscription, plan, catalogue, deliveryDate, [], null))).coveredPortions > 0) return;
    }
    const left = catalogue.filter((f) => !subscription.exclusions.includes(f.id));
    const [zh, en] = left.length === 0
      ? ['所有水果都被排除了', 'every fruit of the catalogue is excluded']
      : [`排除后剩下的水果（${left.map((f) => f.nameZh).join('、')}）在任何月份都装不进这个套餐的果箱`, `none of the fruit left (${left.map((f) => f.id).join(', ')}) fits a box of the ${plan.nameEn} plan in any month (season, ripening or price)`];
    throw new AppError(422, 'subscription_unfillable', `这个订阅的果箱永远装不进水果：${zh}。请少排除一些水果。 No box of this subscription could ever be filled: ${en}. Exclude fewer fruits.`, [{ path: 'body.exclusions', message: en }]);
  }

  async get(actor: Principal, subscriptionId: string): Promise<SubscriptionView> {
    return this.deps.db.read(async (tx) => this.view(tx, await this.visible(tx, actor, subscriptionId)));
  }

  async listMine(userId: string, page: PageQuery): Promise<{ items: SubscriptionView[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [rows, total] = await tx.findAndCount(SubscriptionRow, { where: { userId }, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit });
      const items: SubscriptionView[] = [];
      for (const row of rows) items.push(await this.view(tx, row));
      return { items, total };
    });
  }

  /** What the subscriber sees of a subscription (SubscriptionView). */
  private async view(tx: Tx, subscription: SubscriptionRow): Promise<SubscriptionView> {
    const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
    const paused = subscription.status === 'paused' && isPaused(subscription, nextOpenDelivery(subscription, periodDaysOf(plan.period), this.deps.clock.now()));
    const [next] = await this.deliveries(tx, subscription, plan, NEXT_DELIVERY_WEEKS, true);
    return { subscription, status: subscription.status === 'cancelled' ? 'cancelled' : paused ? 'paused' : 'active', nextDeliveryDate: next?.deliveryDate ?? null };
  }

  /**
   * The next `weeks` weeks of deliveries, exactly as they will ship and be charged: the boxes built (those
   * past their cutoff still come, also after a cancel), skipped, paused and unfillable deliveries, and a
   * preview planned now for deliveries beyond the planning horizon. A delivery whose cutoff passed with no
   * box built is not shown: nothing comes and nothing is charged.
   */
  async schedule(actor: Principal, subscriptionId: string, weeks: number): Promise<{ subscription: SubscriptionView; plan: PlanRow; deliveries: ScheduledDelivery[] }> {
    return this.deps.db.read(async (tx) => {
      const subscription = await this.visible(tx, actor, subscriptionId);
      const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
      return { subscription: await this.view(tx, subscription), plan, deliveries: await this.deliveries(tx, subscription, plan, weeks, false) };
    });
  }

  /** The deliveries of the next `weeks` weeks (see schedule), or with `firstThatComes` only the first that will come with fruit. */
  private async deliveries(tx: Tx, subscription: SubscriptionRow, plan: PlanRow, weeks: number, firstThatComes: boolean): Promise<ScheduledDelivery[]> {
    const now = this.deps.clock.now();
    const today = businessDay(now);
    const until = addDays(today, weeks * 7 + 1);
    const rows = await tx.find(BoxRow, { where: { subscriptionId: subscription.id, deliveryDate: Between(today, addDays(until, -1)) } });
    const boxes = new Map(rows.map((b) => [b.deliveryDate, b]));
    const rhythm = subscription.status === 'cancelled' ? [] : deliveryDates(subscription, periodDaysOf(plan.period), today, until);
    // Boxes built on an earlier rhythm (before a change of plan, or a cancel) still come.
    const dates = [...new Set([...rhythm, ...rows.filter((b) => b.status !== 'cancelled').map((b) => b.deliveryDate)])].sort();
    const boxContents = await contentsOf(tx, rows);
    const skips = new Set((await tx.find(SkipRow, { where: { subscriptionId: subscription.id } })).map((s) => s.deliveryDate));
    let catalogue: Fruit[] | undefined;
    let recent = await this.recentContents(tx, subscription.id, today);
    const deliveries: ScheduledDelivery[] = [];
    for (const deliveryDate of dates) {
      const shipDate = shipDateOf(deliveryDate, subscription.transitDays);
      const base = { deliveryDate, shipDate, cutoffAt: cutoffOf(shipDate) };
      const box = boxes.get(deliveryDate);
      let delivery: ScheduledDelivery;
      if (box && box.status !== 'cancelled') {
        const { items, coverage, uncovered } = boxContents.get(box.contentsId)!;
        delivery = { ...base, status: box.status, box: { items, coverage, uncovered, cost: box.cost, price: box.price } };
      } else if (skips.has(deliveryDate)) delivery = { ...base, status: 'skipped', box: undefined };
      else if (isPaused(subscription, deliveryDate)) delivery = { ...base, status: 'paused', box: undefined };
      else if (box) delivery = { ...base, status: box.cancelReason === 'unfillable' ? 'unfillable' : 'cancelled', box: undefined };
      else if (base.cutoffAt <= now) continue;
      else {
        catalogue ??= await this.catalogue(tx);
        const planned = toPlannedContents(planBox(boxRequest(subscription, plan, catalogue, deliveryDate, recent, null)));
        const price = priceOf(plan, planned);
        const { contents: { items, coverage, uncovered }, cost } = planned;
        delivery = price.isZero() ? { ...base, status: 'unfillable', box: undefined } : { ...base, status: 'preview', box: { items, coverage, uncovered, cost, price } };
      }
      if (firstThatComes && COMES.includes(delivery.status)) return [delivery];
      if (!firstThatComes) deliveries.push(delivery);
      if (delivery.box) recent = [delivery.box.items.map((i) => i.fruitId), ...recent].slice(0, VARIETY_BOXES);
    }
    return firstThatComes ? [] : deliveries;
  }

  /** Skips one delivery: before its cutoff only. Skipping twice is fine. */
  async skip(consumer: Consumer, subscriptionId: string, deliveryDate: string): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const [date] = deliveryDates(subscription, periodDaysOf(plan.period), deliveryDate, addDays(deliveryDate, 1));
      // A box of an earlier rhythm (before a change of plan) is a delivery too: past its cutoff, its answer is the 409.
      if (date !== deliveryDate && !(await tx.existsBy(BoxRow, { subscriptionId, deliveryDate, status: Not('cancelled') }))) {
        throw badRequest('validation_failed', `${deliveryDate} is not a delivery date of this subscription.`, [{ path: 'body.deliveryDate', message: 'is not one of this subscription\'s delivery dates (see its schedule)' }]);
      }
      await this.assertBeforeCutoff(tx, subscription, deliveryDate, 'skip');
      if (!(await tx.existsBy(SkipRow, { subscriptionId, deliveryDate }))) await tx.insert(SkipRow, { subscriptionId, deliveryDate, createdAt: this.deps.clock.now() });
      await this.cancelBoxes(tx, subscriptionId, [deliveryDate], 'skipped');
    });
  }

  /**
   * Pauses the deliveries before `until`: from the first whose cutoff has not passed, unless `from` names a
   * later one; a `from` whose delivery is past its cutoff is refused (that box is already on its way), and
   * so is a pause with no delivery to pause. The pause starts at its first paused delivery (`pausedFrom`).
   */
  async pause(consumer: Consumer, subscriptionId: string, input: { until: string; from?: string }): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription, plan) => {
      const now = this.deps.clock.now();
      const today = businessDay(now);
      if (input.until <= today) throw badRequest('validation_failed', 'A pause must end after today.', [{ path: 'body.until', message: 'must be after today' }]);
      const dates = deliveryDates(subscription, periodDaysOf(plan.period), input.from ?? today, input.until);
      if (input.from && dates.length > 0) await this.assertBeforeCutoff(tx, subscription, dates[0], 'pause');
      const paused = dates.filter((d) => this.beforeCutoff(subscription, d));
      if (paused.length === 0) {
        const next = nextOpenDelivery(subscription, periodDaysOf(plan.period), now);
        throw badRequest('validation_failed', `暂停期间没有可以暂停的配送：下一次可更改的配送是 ${next}。 There is no delivery to pause before ${input.until}: the next one that can still change is ${next}.`, [{ path: 'body.until', message: `must be after the next delivery that can still change (${next})` }]);
      }
      Object.assign(subscription, { status: 'paused', pausedFrom: paused[0], pausedUntil: input.until });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'paused', pausedFrom: paused[0], pausedUntil: input.until });
      await this.cancelBoxes(tx, subscriptionId, paused, 'paused');
    });
  }

  async resume(consumer: Consumer, subscriptionId: string): Promise<SubscriptionView> {
    return this.change(consumer, subscriptionId, async (tx, subscription) => {
      if (subscription.status !== 'paused') return;
      Object.assign(subscription, { status: 'active', pausedFrom: null, pausedUntil: null });
      await tx.update(SubscriptionRow, { id: subscriptionId }, { status: 'active', pausedFrom: null, pausedUntil: null });
      await this.buildBoxes(tx, [subscription]);
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
      const boxes = await tx.find(BoxRow, { where: { shipDate: Between(first, last), status: In(['planned', 'locked', 'paid', 'shipped', 'cancelled']) }, lock: this.deps.db.rowLock() });
      const contents = await contentsOf(tx, boxes);
      const unitsOf = (box: BoxRow) => contents.get(box.contentsId)!.items.filter((i) => i.fruitId === fruitId).reduce((total, i) => total + i.units, 0);
      // Boxes not yet locked share the fruit; one an earlier share left with nothing to send (unfillable) still has its claim.
      const open = (b: BoxRow) => b.status === 'planned' || b.cancelReason === 'unfillable';
      const fixed = boxes.filter((b) => b.status !== 'cancelled' && !open(b)).reduce((total, b) => total + unitsOf(b), 0);
      // A box's need is what it asked for before any earlier share cut it.
      const planned = boxes.filter((b) => open(b) && (unitsOf(b) > 0 || b.unitLimits?.[fruitId] !== undefined));
      const needs = planned.map((b) => ({ id: b.id, units: Math.max(unitsOf(b), b.unitLimits?.[fruitId] ?? 0) }));
      const shares = fairShares(commitment.units - fixed, needs);
      for (const box of planned) {
        const share = shares.get(box.id)!;
        const unitLimits = { ...(box.unitLimits ?? {}), [fruitId]: share };
        box.unitLimits = unitLimits;
        await tx.update(BoxRow, { id: box.id, status: box.status }, { unitLimits });
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
        const price = priceOf(plan, planned);
        // A box that covers no day's need has no fruit to send: it is kept cancelled, and never locked or charged.
        const [status, cancelReason] = price.isZero() ? (['cancelled', 'unfillable'] as const) : (['planned', null] as const);
        if (!price.isZero()) recent = [contents.items.map((i) => i.fruitId), ...recent].slice(0, VARIETY_BOXES);
        if (!box) {
          inserts.push(Object.assign(new BoxRow(), {
            // Time-ordered: a planning run appends its boxes to the end of the table's index instead of all over it.
            id: newTimeOrderedId(), subscriptionId: subscription.id, userId: subscription.userId, deliveryDate, shipDate, cutoffAt, shipByAt: shipByOf(shipDate),
            status, cancelReason, contentsId: contents.id, cost, price, unitLimits: null, paymentId: null, chargeAttempts: 0, plannedAt: now, lockedAt: null, shippedAt: null, compensatedAt: null,
          }));
        } else if (box.status !== status || box.cancelReason !== cancelReason || box.contentsId !== contents.id || !box.price.equals(price)) {
          await tx.update(BoxRow, { id: box.id, status: box.status }, { status, cancelReason, contentsId: contents.id, cost, price, plannedAt: now });
        } else continue;
        newContents.set(contents.id, contents);
        replanned += 1;
      }
    }
    // Plain multi-row INSERTs (a planning run writes hundreds of thousands of boxes), in chunks under the
    // databases' parameter limits. The unique key (subscription, date) refuses doubles.
    await storeContents(this.deps.db, tx, newContents.values());
    for (let i = 0; i < inserts.length; i += 200) await this.deps.db.insertEntities(tx, BoxRow, inserts.slice(i, i + 200));
    return replanned;
  }

  /** What one planning pass reads once: the plans and the catalogue; and the boxes it has planned so far, by request. */
  private async planningRun(tx: Tx): Promise<PlanningRun> {
    return { plans: new Map((await tx.find(PlanRow)).map((p) => [p.id, p])), catalogue: await this.catalogue(tx), planned: new Map() };
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

  /** Refuses a change to a delivery past its cutoff, saying what is true of it: its box is on its way, or none comes. */
  private async assertBeforeCutoff(tx: Tx, subscription: SubscriptionRow, deliveryDate: string, what: string): Promise<void> {
    if (this.beforeCutoff(subscription, deliveryDate)) return;
    const cutoff = formatBusinessTime(cutoffOf(shipDateOf(deliveryDate, subscription.transitDays)));
    if (await tx.existsBy(BoxRow, { subscriptionId: subscription.id, deliveryDate, status: Not('cancelled') })) {
      throw conflict('past_cutoff', `The box for ${deliveryDate} was locked at its cutoff (${cutoff}): it is being packed and charged, so you can no longer ${what} it. Changes apply from the next delivery.`);
    }
    throw conflict('past_cutoff', `${deliveryDate} 的截单时间（${cutoff}）已过，这一天没有果箱配送，也不会扣款。 The cutoff for ${deliveryDate} passed at ${cutoff}: no box comes that day and nothing is charged, so there is nothing to ${what}.`);
  }

  /** A change by the subscriber to their own, not cancelled, subscription, in one transaction. */
  private async change(consumer: Consumer, subscriptionId: string, apply: (tx: Tx, subscription: SubscriptionRow, plan: PlanRow) => Promise<void>): Promise<SubscriptionView> {
    return this.deps.db.transaction(async (tx) => {
      const subscription = await tx.findOne(SubscriptionRow, { where: { id: subscriptionId }, lock: this.deps.db.rowLock() });
      if (!subscription || subscription.userId !== consumer.userId) throw notFound('The subscription');
      if (subscription.status === 'cancelled') throw conflict('subscription_cancelled', 'This subscription is cancelled.');
      await apply(tx, subscription, await tx.findOneByOrFail(PlanRow, { id: subscription.planId }));
      return this.view(tx, subscription);
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

function isPaused(subscription: Pick<SubscriptionRow, 'status' | 'pausedFrom' | 'pausedUntil'>, deliveryDate: string): boolean {
  const { status, pausedFrom, pausedUntil } = subscription;
  return status === 'paused' && pausedFrom !== null && pausedUntil !== null && pausedFrom <= deliveryDate && deliveryDate < pausedUntil;
}

/**
 * A box's price: the plan's price for the share of the period's need it covers, rounded to the fen (a
 * box that leaves days short costs that much less); zero for a box that covers none: it is not sent.
 */
function priceOf(plan: PlanRow, { coveredPortions, neededPortions }: PlannedContents): Decimal {
  return coveredPortions === neededPortions ? plan.price : roundToFen(plan.price.times(coveredPortions).dividedBy(neededPortions));
}

export function toPlannerFruit(f: FruitRow): Fruit {
  return {
    id: f.id, nameZh: f.nameZh, nameEn: f.nameEn, unit: f.unit, portionsPerUnit: f.portionsPerUnit, ripeningDays: [f.ripeningMinDays, f.ripeningMaxDays], goodDays: f.goodDays,
    seasons: f.seasons, ethylene: { producer: f.ethyleneProducer, sensitive: f.ethyleneSensitive }, unitCost: f.unitCost,
  };
}

function toPlannedContents(planned: PlannedBox): PlannedContents {
  const contents = { items: planned.items.map((i) => ({ ...i, cost: formatMoney(i.cost) })), coverage: planned.coverage, uncovered: planned.uncoveredDays };
  return {
    contents: Object.assign(new BoxContentsRow(), { id: boxContentsIdOf(contents), ...contents }), cost: sum(planned.items.map((i) => i.cost)),
    coveredPortions: planned.coverage.reduce((total, day) => total + day.plannedPortions, 0), neededPortions: planned.coverage.reduce((total, day) => total + day.neededPortions, 0),
  };
}
