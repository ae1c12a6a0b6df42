import { createHash } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, jsonColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/** A fruit of the catalogue: ripening, seasons, ethylene, cost and the orchard that supplies it. Operators edit it. */
@Entity('fruits')
export class FruitRow {
  @PrimaryColumn({ type: 'varchar', length: 40 }) id: string;
  @Column({ name: 'name_zh', type: 'varchar', length: 40 }) nameZh: string;
  @Column({ name: 'name_en', type: 'varchar', length: 60 }) nameEn: string;
  @Column({ type: 'varchar', length: 8 }) unit: 'piece' | 'kg';
  @Column({ name: 'portions_per_unit', type: 'integer' }) portionsPerUnit: number;
  @Column({ name: 'ripening_min_days', type: 'integer' }) ripeningMinDays: number;
  @Column({ name: 'ripening_max_days', type: 'integer' }) ripeningMaxDays: number;
  @Column({ name: 'good_days', type: 'integer' }) goodDays: number;
  @Column(jsonColumn('seasons')) seasons: { origin: string; months: number[] }[];
  @Column({ name: 'ethylene_producer', type: 'boolean' }) ethyleneProducer: boolean;
  @Column({ name: 'ethylene_sensitive', type: 'boolean' }) ethyleneSensitive: boolean;
  @Column(fenColumn('unit_cost_fen')) unitCost: Decimal;
  @Column({ name: 'orchard_id', type: 'varchar', length: 36, nullable: true }) orchardId: string | null;
  @Column({ type: 'boolean' }) active: boolean;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}

export type Period = 'weekly' | 'fortnightly';

@Entity('subscription_plans')
export class PlanRow {
  @PrimaryColumn({ type: 'varchar', length: 40 }) id: string;
  @Column({ name: 'name_zh', type: 'varchar', length: 40 }) nameZh: string;
  @Column({ name: 'name_en', type: 'varchar', length: 60 }) nameEn: string;
  @Column({ type: 'varchar', length: 12 }) period: Period;
  @Column({ name: 'max_household', type: 'integer' }) maxHousehold: number;
  @Column({ name: 'portions_per_person_per_day', type: 'integer' }) portionsPerPersonPerDay: number;
  @Column(fenColumn('price_fen')) price: Decimal;
  /** The most the fruit of one box may cost us. */
  @Column(fenColumn('fruit_budget_fen')) fruitBudget: Decimal;
  @Column({ type: 'boolean' }) active: boolean;
}

export type SubscriptionStatus = 'active' | 'paused' | 'cancelled';

@Entity('subscriptions')
export class SubscriptionRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'plan_id', type: 'varchar', length: 40 }) planId: string;
  @Column({ name: 'start_date', type: 'varchar', length: 10 }) startDate: string;
  /** ISO weekday of delivery: 1 = Monday … 7 = Sunday. */
  @Column({ name: 'delivery_weekday', type: 'integer' }) deliveryWeekday: number;
  /**
   * The first delivery of the current rhythm: the first delivery weekday on or after the start date whose
   * cutoff was still ahead when subscribing, moved to the next such day when a change of plan changes the period.
   */
  @Column({ name: 'first_delivery_date', type: 'varchar', length: 10 }) firstDeliveryDate: string;
  @Column({ type: 'varchar', length: 30 }) region: string;
  @Column({ name: 'transit_days', type: 'integer' }) transitDays: number;
  @Column({ name: 'household_size', type: 'integer' }) householdSize: number;
  @Column(jsonColumn('exclusions')) exclusions: string[];
  @Column({ type: 'varchar', length: 12 }) status: SubscriptionStatus;
  /** While paused: deliveries on or after pausedFrom (the first paused delivery) and before pausedUntil are not made. */
  @Column({ name: 'paused_from', type: 'varchar', length: 10, nullable: true }) pausedFrom: string | null;
  @Column({ name: 'paused_until', type: 'varchar', length: 10, nullable: true }) pausedUntil: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('cancelled_at', { nullable: true })) cancelledAt: Date | null;
  /** The shop owner's shop the subscription is attributed to, as bound when it was made (docs/shop-owners.md); null: none. */
  @Column({ name: 'shop_id', type: 'varchar', length: 36, nullable: true }) shopId: string | null;
}

@Entity('subscription_skips')
export class SkipRow {
  @PrimaryColumn({ name: 'subscription_id', type: 'varchar', length: 36 }) subscriptionId: string;
  @PrimaryColumn({ name: 'delivery_date', type: 'varchar', length: 10 }) deliveryDate: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/**
 * planned (contents may still change) → locked (cutoff passed: contents fixed, charge asked) → paid →
 * shipped; or cancelled (skipped, paused, subscription cancelled, or the charge failed for good).
 */
export type BoxStatus = 'planned' | 'locked' | 'paid' | 'shipped' | 'cancelled';

export interface BoxItem {
  fruitId: string;
  units: number;
  portions: number;
  /** The planner's PlannedItem.uneatenPortions (boxes planned before it was kept lack it). */
  uneatenPortions?: number;
  edibleFrom: string;
  edibleUntil: string;
  cost: string;
  ripensFaster: boolean;
}

export interface CoverageDay {
  date: string;
  neededPortions: number;
  plannedPortions: number;
  fruits: { fruitId: string; portions: number }[];
  /** The planner's extras on top of the need (boxes planned before they were kept lack them). */
  extraPortions?: number;
  extras?: { fruitId: string; portions: number }[];
}

export interface UncoveredDay {
  date: string;
  missingPortions: number;
  reason: 'nothing_ready' | 'budget' | 'supply';
}

/**
 * What the planner put in a box: its items, its day-by-day ready-to-eat table and the days it cannot
 * cover. Thousands of households get the same box, so each distinct content is stored once, under the
 * hash of it (boxContentsIdOf), and never changed: a re-planned box points at other contents. A box row
 * stays small, and the planning job for 100,000 subscriptions writes ~300 B a box instead of ~4.4 KB.
 */
@Entity('fruit_box_contents')
export class BoxContentsRow {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id: string;
  @Column(jsonColumn('items')) items: BoxItem[];
  @Column(jsonColumn('coverage')) coverage: CoverageDay[];
  @Column(jsonColumn('uncovered')) uncovered: UncoveredDay[];
}

/** The id of a box's contents: the SHA-256 of them, so the same contents are always the same row. */
export function boxContentsIdOf(contents: Pick<BoxContentsRow, 'items' | 'coverage' | 'uncovered'>): string {
  return createHash('sha256')
    .update(JSON.stringify([contents.items, contents.coverage, contents.uncovered]))
    .digest('hex');
}

/** One box per subscription and delivery date, enforced by a unique key: jobs may run twice, boxes are never doubled. */
@Entity('fruit_boxes')
export class BoxRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'subscription_id', type: 'varchar', length: 36 }) subscriptionId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'delivery_date', type: 'varchar', length: 10 }) deliveryDate: string;
  @Column({ name: 'ship_date', type: 'varchar', length: 10 }) shipDate: string;
  @Column(timestampColumn('cutoff_at')) cutoffAt: Date;
  @Column(timestampColumn('ship_by_at')) shipByAt: Date;
  @Column({ type: 'varchar', length: 12 }) status: BoxStatus;
  @Column({ name: 'cancel_reason', type: 'varchar', length: 30, nullable: true }) cancelReason: string | null;
  /** What is in it (BoxContentsRow). */
  @Column({ name: 'contents_id', type: 'varchar', length: 64 }) contentsId: string;
  @Column(fenColumn('cost_fen')) cost: Decimal;
  @Column(fenColumn('price_fen')) price: Decimal;
  /** This box's share of fruit an orchard is short of (fruit id → most units), kept through every re-plan. */
  @Column(jsonColumn('unit_limits', { nullable: true })) unitLimits: Record<string, number> | null;
  @Column({ name: 'payment_id', type: 'varchar', length: 36, nullable: true }) paymentId: string | null;
  @Column({ name: 'charge_attempts', type: 'integer' }) chargeAttempts: number;
  @Column(timestampColumn('planned_at')) plannedAt: Date;
  @Column(timestampColumn('locked_at', { nullable: true })) lockedAt: Date | null;
  @Column(timestampColumn('shipped_at', { nullable: true })) shippedAt: Date | null;
  @Column(timestampColumn('compensated_at', { nullable: true })) compensatedAt: Date | null;
}

/** What an orchard committed to supply of a fruit in a week (its latest answer on a forecast batch line). */
@Entity('fruit_supply_commitments')
export class SupplyCommitmentRow {
  @PrimaryColumn({ name: 'fruit_id', type: 'varchar', length: 40 }) fruitId: string;
  @PrimaryColumn({ name: 'ship_week', type: 'varchar', length: 8 }) shipWeek: string;
  @Column({ name: 'orchard_id', type: 'varchar', length: 36 }) orchardId: string;
  @Column({ type: 'integer' }) units: number;
  @Column(timestampColumn('committed_at')) committedAt: Date;
}

/**
 * A planned box's share of a fruit an orchard was short of (ShortfallSharing): what the box asked for before
 * any cut (its need in every later share, so a larger commitment gives it back) and its contents then, its
 * latest share and the week's commitment it was shared from. What operators read per ship date: who was
 * short, by how much, and what each box got instead.
 */
@Entity('fruit_shortfall_shares')
export class ShortfallShareRow {
  @PrimaryColumn({ name: 'box_id', type: 'varchar', length: 36 }) boxId: string;
  @PrimaryColumn({ name: 'fruit_id', type: 'varchar', length: 40 }) fruitId: string;
  @Column({ name: 'ship_week', type: 'varchar', length: 8 }) shipWeek: string;
  @Column({ name: 'asked_units', type: 'integer' }) askedUnits: number;
  @Column({ name: 'share_units', type: 'integer' }) shareUnits: number;
  @Column({ name: 'committed_units', type: 'integer' }) committedUnits: number;
  /** The box's contents (BoxContentsRow, never changed) before its first cut: what it would have had. */
  @Column({ name: 'contents_before_id', type: 'varchar', length: 64 }) contentsBeforeId: string;
  @Column(timestampColumn('shared_at')) sharedAt: Date;
}
