import { Between, In } from 'typeorm';
import { businessDay } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { type Fruit, planBox } from '../scheduling';
import { VARIETY_BOXES, boxRequest, isPaused, plannerCatalogue, priceOf, toPlannedContents } from './box-planning';
import { contentsOf } from './box-contents';
import { addDays, cutoffOf, deliveryDates, nextOpenDelivery, periodDaysOf, shipDateOf } from './deliveries';
import { BoxRow, type BoxContentsRow, type BoxStatus, PlanRow, SkipRow, SubscriptionRow } from './subscription.entity';

/** How far ahead the next delivery is looked for: a year holds every season once. */
const NEXT_DELIVERY_WEEKS = 53;
/** What a box row holds that still comes: packed, charged and shipped (a planned one past its cutoff is locked at the next run). */
const COMES: readonly ScheduledDelivery['status'][] = ['planned', 'locked', 'paid', 'shipped', 'preview'];

/**
 * A subscription as its subscriber sees it: `status` is what is in effect (paused only while the next
 * delivery that can still change is paused), and the next delivery that will come with fruit in it.
 */
export interface SubscriptionView {
  subscription: SubscriptionRow;
  status: SubscriptionRow['status'];
  nextDeliveryDate: string | null;
}

/** A subscription as its shop owner sees it in their order list. */
export interface AttributedSubscription {
  id: string;
  userId: string;
  planId: string;
  planName: { zh: string; en: string };
  status: SubscriptionRow['status'];
  createdAt: Date;
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

/**
 * What a subscriber (or an operator) sees of subscriptions: each with its status in effect and its next
 * delivery, and the schedule of the coming weeks, with a preview planned now beyond the planning horizon.
 */
export class SubscriptionSchedule {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  async get(actor: Principal, subscriptionId: string): Promise<SubscriptionView> {
    return this.deps.db.read(async (tx) => this.view(tx, await this.visible(tx, actor, subscriptionId)));
  }

  async listMine(userId: string, page: PageQuery): Promise<{ items: SubscriptionView[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [rows, total] = await tx.findAndCount(SubscriptionRow, {
        where: { userId },
        order: { createdAt: 'DESC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      const items: SubscriptionView[] = [];
      for (const row of rows) items.push(await this.view(tx, row));
      return { items, total };
    });
  }

  /** The subscriptions attributed to a shop (docs/shop-owners.md § Privacy), newest first: plan and status in effect, whose (the user id, never shown). */
  async attributedTo(shopId: string, page: PageQuery): Promise<{ items: AttributedSubscription[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [rows, total] = await tx.findAndCount(SubscriptionRow, {
        where: { shopId },
        order: { createdAt: 'DESC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      const plans = new Map((await tx.find(PlanRow)).map((p) => [p.id, p]));
      const items = rows.map((row) => {
        const plan = plans.get(row.planId)!;
        return {
          id: row.id,
          userId: row.userId,
          planId: plan.id,
          planName: { zh: plan.nameZh, en: plan.nameEn },
          status: this.statusInEffect(row, plan),
          createdAt: row.createdAt,
        };
      });
      return { items, total };
    });
  }

  /** Subscriptions by id or of consumers (an operator's search), newest first with their plan's name: at most `limit`, and how many there are. */
  async search(
    where: { ids?: readonly string[]; userIds?: readonly string[] },
    limit: number,
  ): Promise<{ items: (SubscriptionView & { planName: { zh: string; en: string } })[]; total: number }> {
    const or = [...(where.ids?.length ? [{ id: In([...where.ids]) }] : []), ...(where.userIds?.length ? [{ userId: In([...where.userIds]) }] : [])];
    if (or.length === 0) return { items: [], total: 0 };
    return this.deps.db.read(async (tx) => {
      const [rows, total] = await tx.findAndCount(SubscriptionRow, { where: or, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
      const plans = new Map((await tx.find(PlanRow)).map((p) => [p.id, p]));
      const items = [];
      for (const row of rows) {
        const plan = plans.get(row.planId)!;
        items.push({ ...(await this.view(tx, row)), planName: { zh: plan.nameZh, en: plan.nameEn } });
      }
      return { items, total };
    });
  }

  /** Fruit boxes by id, of consumers, or of subscriptions (an operator's search), newest delivery first: at most `limit`, and how many there are. */
  async searchBoxes(
    where: { ids?: readonly string[]; userIds?: readonly string[]; subscriptionIds?: readonly string[]; paymentIds?: readonly string[] },
    limit: number,
  ): Promise<{ items: BoxRow[]; total: number }> {
    const or = [
      ...(where.ids?.length ? [{ id: In([...where.ids]) }] : []),
      ...(where.userIds?.length ? [{ userId: In([...where.userIds]) }] : []),
      ...(where.subscriptionIds?.length ? [{ subscriptionId: In([...where.subscriptionIds]) }] : []),
      ...(where.paymentIds?.length ? [{ paymentId: In([...where.paymentIds]) }] : []),
    ];
    if (or.length === 0) return { items: [], total: 0 };
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(BoxRow, { where: or, order: { deliveryDate: 'DESC', id: 'ASC' }, take: limit }));
    return { items, total };
  }

  /** A fruit box with what is in it and its subscription's plan, for an operator: null when there is none. */
  async box(boxId: string): Promise<{ box: BoxRow; items: BoxContentsRow['items']; planName: { zh: string; en: string } } | null> {
    return this.deps.db.read(async (tx) => {
      const box = await tx.findOneBy(BoxRow, { id: boxId });
      if (!box) return null;
      const subscription = await tx.findOneByOrFail(SubscriptionRow, { id: box.subscriptionId });
      const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
      const contents = await contentsOf(tx, [box]);
      return { box, items: contents.get(box.contentsId)!.items, planName: { zh: plan.nameZh, en: plan.nameEn } };
    });
  }

  /** A subscription with its plan, its skips and its boxes (newest delivery first, at most `boxes`), for an operator: null when there is none. */
  async trail(
    subscriptionId: string,
    boxes: number,
  ): Promise<{ view: SubscriptionView; plan: PlanRow; skips: SkipRow[]; boxes: BoxRow[]; boxCount: number } | null> {
    return this.deps.db.read(async (tx) => {
      const subscription = await tx.findOneBy(SubscriptionRow, { id: subscriptionId });
      if (!subscription) return null;
      const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
      const skips = await tx.find(SkipRow, { where: { subscriptionId }, order: { deliveryDate: 'ASC' } });
      const [rows, boxCount] = await tx.findAndCount(BoxRow, { where: { subscriptionId }, order: { deliveryDate: 'DESC', id: 'ASC' }, take: boxes });
      return { view: await this.view(tx, subscription), plan, skips, boxes: rows, boxCount };
    });
  }

  /** What the subscriber sees of a subscription (SubscriptionView). */
  async view(tx: Tx, subscription: SubscriptionRow): Promise<SubscriptionView> {
    const plan = await tx.findOneByOrFail(PlanRow, { id: subscription.planId });
    const [next] = await this.deliveries(tx, subscription, plan, NEXT_DELIVERY_WEEKS, true);
    return { subscription, status: this.statusInEffect(subscription, plan), nextDeliveryDate: next?.deliveryDate ?? null };
  }

  /** Paused only while the next delivery that can still change is paused. */
  private statusInEffect(subscription: SubscriptionRow, plan: PlanRow): SubscriptionRow['status'] {
    if (subscription.status === 'cancelled') return 'cancelled';
    const paused = subscription.status === 'paused' && isPaused(subscription, nextOpenDelivery(subscription, periodDaysOf(plan.period), this.deps.clock.now()));
    return paused ? 'paused' : 'active';
  }

  /**
   * The next `weeks` weeks of deliveries, exactly as they will ship and be charged: the boxes built (those
   * past their cutoff still come, also after a cancel), skipped, paused and unfillable deliveries, and a
   * preview planned now for deliveries beyond the planning horizon. A delivery whose cutoff passed with no
   * box built is not shown: nothing comes and nothing is charged.
   */
  async schedule(
    actor: Principal,
    subscriptionId: string,
    weeks: number,
  ): Promise<{ subscription: SubscriptionView; plan: PlanRow; deliveries: ScheduledDelivery[] }> {
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
      // Cancelled by a pause since moved or resumed, past its cutoff by then: nothing came because of that pause.
      else if (box?.cancelReason === 'paused') delivery = { ...base, status: 'paused', box: undefined };
      else if (box) delivery = { ...base, status: box.cancelReason === 'unfillable' ? 'unfillable' : 'cancelled', box: undefined };
      else if (base.cutoffAt <= now) continue;
      else {
        catalogue ??= await plannerCatalogue(tx);
        const planned = toPlannedContents(planBox(boxRequest(subscription, plan, catalogue, deliveryDate, recent, null)));
        const price = priceOf(plan, planned);
        const {
          contents: { items, coverage, uncovered },
          cost,
        } = planned;
        delivery = price.isZero()
          ? { ...base, status: 'unfillable', box: undefined }
          : { ...base, status: 'preview', box: { items, coverage, uncovered, cost, price } };
      }
      if (firstThatComes && COMES.includes(delivery.status)) return [delivery];
      if (!firstThatComes) deliveries.push(delivery);
      if (delivery.box) recent = [delivery.box.items.map((i) => i.fruitId), ...recent].slice(0, VARIETY_BOXES);
    }
    return firstThatComes ? [] : deliveries;
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

  private async visible(tx: Tx, actor: Principal, subscriptionId: string): Promise<SubscriptionRow> {
    const subscription = await tx.findOneBy(SubscriptionRow, { id: subscriptionId });
    if (!subscription || !(actor.role === 'operator' || (actor.role === 'consumer' && actor.userId === subscription.userId)))
      throw notFound('The subscription');
    return subscription;
  }
}
