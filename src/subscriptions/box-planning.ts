import { In, LessThanOrEqual } from 'typeorm';
import { businessDay } from '../platform/calendar';
import { chunks } from '../platform/chunks';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { newTimeOrderedId } from '../platform/ids';
import { type Decimal, formatMoney, roundToFen, sum } from '../platform/money';
import { type BoxRequest, type Fruit, type PlannedBox, planBox } from '../scheduling';
import { contentsOf, storeContents } from './box-contents';
import { addDays, cutoffOf, deliveryDates, periodDaysOf, shipByOf, shipDateOf } from './deliveries';
import { BoxContentsRow, BoxRow, FruitRow, PlanRow, SkipRow, SubscriptionRow, boxContentsIdOf } from './subscription.entity';

export const PLAN_AHEAD_JOB = 'subscriptions.plan-ahead';
/** Boxes are built this far ahead, and re-planned until their cutoff. */
export const HORIZON_WEEKS = 4;
/** How many previous boxes the planner looks at for variety. */
export const VARIETY_BOXES = 2;

/** A planned box: its contents (items, ready-to-eat table, uncovered days), what its fruit costs us, and the portions of need it covers. */
export interface PlannedContents {
  contents: BoxContentsRow;
  cost: BoxRow['cost'];
  coveredPortions: number;
  neededPortions: number;
}

/**
 * Building boxes ahead with the ripeness-aware planner (src/scheduling): the hourly planning job over every
 * subscription, and the boxes of some subscriptions built or planned again in the caller's transaction (a
 * subscribe, a change, a shortfall). One box per subscription and delivery date, by a unique key.
 */
export class BoxPlanning {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

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
    const run = await this.deps.db.read((tx) => planningRun(tx));
    for (;;) {
      const ids = await this.deps.db.read(async (tx) =>
        (
          await tx
            .createQueryBuilder(SubscriptionRow, 's')
            .select('s.id', 'id')
            .where("s.status <> 'cancelled' AND s.id > :after", { after })
            .orderBy('s.id', 'ASC')
            .limit(batchSize)
            .getRawMany<{ id: string }>()
        ).map((r) => r.id),
      );
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      subscriptions += ids.length;
      const batch = this.deps.db.transaction(async (tx) => {
        // Locked, as a subscriber's change locks their subscription: a cancel or a change waits for the batch (or the batch
        // for it) instead of the batch planning from what it read before, and adding boxes to a subscription just cancelled.
        const locked = await tx.find(SubscriptionRow, { where: { id: In(ids) }, order: { id: 'ASC' }, lock: this.deps.db.rowLock() });
        const planned = await this.buildBoxes(tx, locked, run);
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

  /**
   * What each box of these subscriptions that an orchard's shortfall limited in `fruitId` would hold of it now
   * without that limit, by box id: its need in the next share (shortfall.ts). Worked out as the planning run
   * would plan the box (the subscription as it is now: household, plan, exclusions; the same recent boxes);
   * nothing is written. A limited box the run would not plan (past its cutoff, skipped, paused, its
   * subscription cancelled) is not in the answer: it keeps what it holds.
   */
  async unlimitedAsks(tx: Tx, subscriptions: readonly SubscriptionRow[], fruitId: string): Promise<Map<string, number>> {
    const asks = new Map<string, number>();
    await this.buildBoxes(tx, subscriptions, undefined, { fruitId, asks });
    return asks;
  }

  /** Builds or re-plans the boxes of these subscriptions within the horizon; returns how many boxes were (re)planned. */
  async buildBoxes(
    tx: Tx,
    subscriptions: readonly SubscriptionRow[],
    run?: PlanningRun,
    ask?: { fruitId: string; asks: Map<string, number> },
  ): Promise<number> {
    const now = this.deps.clock.now();
    const today = businessDay(now);
    const until = addDays(today, HORIZON_WEEKS * 7);
    const { plans, catalogue, planned: plannedBefore } = run ?? (await planningRun(tx));
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
      let recent = [...boxes.values()]
        .filter((b) => b.deliveryDate < today && b.status !== 'cancelled')
        .sort((a, b) => b.deliveryDate.localeCompare(a.deliveryDate))
        .slice(0, VARIETY_BOXES)
        .map(fruitIdsOf);
      for (const deliveryDate of deliveryDates(subscription, periodDaysOf(plan.period), today, until)) {
        const shipDate = shipDateOf(deliveryDate, subscription.transitDays);
        const cutoffAt = cutoffOf(shipDate);
        const box = boxes.get(deliveryDate);
        const wanted = !skipped.has(`${subscription.id}|${deliveryDate}`) && !isPaused(subscription, deliveryDate);
        if (
          cutoffAt <= now ||
          !wanted ||
          (box && box.status !== 'planned' && box.status !== 'cancelled') ||
          (box?.status === 'cancelled' && box.cancelReason === 'charge_failed')
        ) {
          if (box && box.status !== 'cancelled') recent = [fruitIdsOf(box), ...recent].slice(0, VARIETY_BOXES);
          continue;
        }
        const request = boxRequest(subscription, plan, catalogue, deliveryDate, recent, box?.unitLimits ?? null);
        if (ask && box?.unitLimits?.[ask.fruitId] !== undefined) {
          const { [ask.fruitId]: _lifted, ...others } = box.unitLimits;
          const unlimited = planBox(boxRequest(subscription, plan, catalogue, deliveryDate, recent, Object.keys(others).length > 0 ? others : null));
          ask.asks.set(
            box.id,
            unlimited.items.filter((i) => i.fruitId === ask.fruitId).reduce((total, i) => total + i.units, 0),
          );
        }
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
        // Only asking: the walk goes on (later boxes' recent boxes), nothing is written.
        if (ask) continue;
        if (!box) {
          inserts.push(
            Object.assign(new BoxRow(), {
              // Time-ordered: a planning run appends its boxes to the end of the table's index instead of all over it.
              id: newTimeOrderedId(),
              subscriptionId: subscription.id,
              userId: subscription.userId,
              deliveryDate,
              shipDate,
              cutoffAt,
              shipByAt: shipByOf(shipDate),
              status,
              cancelReason,
              contentsId: contents.id,
              cost,
              price,
              unitLimits: null,
              paymentId: null,
              chargeAttempts: 0,
              plannedAt: now,
              lockedAt: null,
              shippedAt: null,
              compensatedAt: null,
            }),
          );
        } else if (box.status !== status || box.cancelReason !== cancelReason || box.contentsId !== contents.id || !box.price.equals(price)) {
          const where = { id: box.id, status: box.status, contentsId: box.contentsId };
          const moved = await tx.update(BoxRow, where, { status, cancelReason, contentsId: contents.id, cost, price, plannedAt: now });
          // Planned again since it was read (an orchard's shortfall shared out): that plan, from newer facts, stands.
          if (moved.affected !== 1) continue;
        } else continue;
        newContents.set(contents.id, contents);
        replanned += 1;
      }
    }
    if (ask) return 0;
    // Plain multi-row INSERTs (a planning run writes hundreds of thousands of boxes), in chunks under the
    // databases' parameter limits. The unique key (subscription, date) refuses doubles.
    await storeContents(this.deps.db, tx, newContents.values());
    for (const chunk of chunks(inserts, 200)) await this.deps.db.insertEntities(tx, BoxRow, chunk);
    return replanned;
  }
}

/** What one planning pass reads once: the plans and the catalogue; and the boxes it has planned so far, by request. */
async function planningRun(tx: Tx): Promise<PlanningRun> {
  return { plans: new Map((await tx.find(PlanRow)).map((p) => [p.id, p])), catalogue: await plannerCatalogue(tx), planned: new Map() };
}

/** The active fruit of the catalogue, as the planner takes it. */
export async function plannerCatalogue(tx: Tx): Promise<Fruit[]> {
  return (await tx.find(FruitRow, { where: { active: true }, order: { id: 'ASC' } })).map(toPlannerFruit);
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
  subscription: Pick<SubscriptionRow, 'transitDays' | 'householdSize' | 'exclusions'>,
  plan: PlanRow,
  catalogue: readonly Fruit[],
  deliveryDate: string,
  recentBoxes: string[][],
  unitLimits: Record<string, number> | null,
): BoxRequest {
  return {
    deliveryDate,
    shipDate: shipDateOf(deliveryDate, subscription.transitDays),
    periodDays: periodDaysOf(plan.period),
    householdSize: subscription.householdSize,
    portionsPerPersonPerDay: plan.portionsPerPersonPerDay,
    exclusions: subscription.exclusions,
    budget: plan.fruitBudget,
    recentBoxes,
    catalogue,
    unitLimits: unitLimits ? new Map(Object.entries(unitLimits)) : undefined,
  };
}

export function isPaused(subscription: Pick<SubscriptionRow, 'status' | 'pausedFrom' | 'pausedUntil'>, deliveryDate: string): boolean {
  const { status, pausedFrom, pausedUntil } = subscription;
  return status === 'paused' && pausedFrom !== null && pausedUntil !== null && pausedFrom <= deliveryDate && deliveryDate < pausedUntil;
}

/**
 * A box's price: the plan's price for the share of the period's need it covers, rounded to the fen (a
 * box that leaves days short costs that much less); zero for a box that covers none: it is not sent.
 */
export function priceOf(plan: PlanRow, { coveredPortions, neededPortions }: PlannedContents): Decimal {
  return coveredPortions === neededPortions ? plan.price : roundToFen(plan.price.times(coveredPortions).dividedBy(neededPortions));
}

export function toPlannerFruit(f: FruitRow): Fruit {
  return {
    id: f.id,
    nameZh: f.nameZh,
    nameEn: f.nameEn,
    unit: f.unit,
    portionsPerUnit: f.portionsPerUnit,
    ripeningDays: [f.ripeningMinDays, f.ripeningMaxDays],
    goodDays: f.goodDays,
    seasons: f.seasons,
    ethylene: { producer: f.ethyleneProducer, sensitive: f.ethyleneSensitive },
    unitCost: f.unitCost,
  };
}

export function toPlannedContents(planned: PlannedBox): PlannedContents {
  const contents = { items: planned.items.map((i) => ({ ...i, cost: formatMoney(i.cost) })), coverage: planned.coverage, uncovered: planned.uncoveredDays };
  return {
    contents: Object.assign(new BoxContentsRow(), { id: boxContentsIdOf(contents), ...contents }),
    cost: sum(planned.items.map((i) => i.cost)),
    coveredPortions: planned.coverage.reduce((total, day) => total + day.plannedPortions, 0),
    neededPortions: planned.coverage.reduce((total, day) => total + day.neededPortions, 0),
  };
}
