import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, jsonColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/** draft → scheduled → open → succeeded | failed; cancelled by an operator before completion; succeeded → completed. */
export type CampaignStatus = 'draft' | 'scheduled' | 'open' | 'succeeded' | 'failed' | 'cancelled' | 'completed';

/** A display name in the languages a person reads; either may be missing (the key is shown instead). */
export interface DisplayLabel {
  zh?: string;
  en?: string;
}

/**
 * An option dimension: the lower-case ASCII `name` and `values` are the API's keys (variant keys, pledges,
 * forecasts); `label` and `valueLabels` are what a person reads. Stored as given; the DTO fills the gaps.
 */
export interface OptionDimension {
  name: string;
  values: string[];
  label?: DisplayLabel;
  valueLabels?: Record<string, DisplayLabel>;
}

/** A price tier: from `minUnits` paid units on, every pledger pays `unitPriceFen`. Stored in fen, as every amount. */
export interface StoredTier {
  minUnits: number;
  unitPriceFen: string;
}

@Entity('campaigns')
export class CampaignRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ type: 'varchar', length: 200 }) title: string;
  @Column({ name: 'product_name', type: 'varchar', length: 200 }) productName: string;
  @Column({ type: 'text' }) description: string;
  /** The share-card picture (an https URL the operator chose), or null. */
  @Column({ name: 'image_url', type: 'varchar', length: 500, nullable: true }) imageUrl: string | null;
  @Column(jsonColumn('options')) options: OptionDimension[];
  @Column(fenColumn('reference_price_fen')) referencePrice: Decimal;
  /** Decimal strings: rates are not money and never pass through a float. */
  @Column({ name: 'deposit_rate', type: 'varchar', length: 12 }) depositRate: string;
  @Column(fenColumn('deposit_fen')) depositPerUnit: Decimal;
  @Column({ name: 'deposit_credit_rate', type: 'varchar', length: 12 }) depositCreditRate: string;
  @Column(jsonColumn('tiers')) tiers: StoredTier[];
  @Column({ name: 'max_units', type: 'integer', nullable: true }) maxUnits: number | null;
  @Column({ name: 'per_consumer_limit', type: 'integer', nullable: true }) perConsumerLimit: number | null;
  @Column({ name: 'variant_min_units', type: 'integer', nullable: true }) variantMinUnits: number | null;
  @Column(timestampColumn('opens_at')) opensAt: Date;
  @Column(timestampColumn('closes_at')) closesAt: Date;
  @Column({ name: 'balance_window_hours', type: 'integer' }) balanceWindowHours: number;
  @Column({ name: 'expected_ship_date', type: 'varchar', length: 10 }) expectedShipDate: string;
  @Column({ type: 'varchar', length: 16 }) status: CampaignStatus;
  /**
   * The cap's counter, taken by each pledge's conditional update and given back by an expiry or a cancel:
   * while the window is open it equals the progress's reservedUnits. Refunds at the decision do not give
   * units back (the window is shut), so what campaigns show is counted from the pledge tallies. The hot row.
   */
  @Column({ name: 'reserved_units', type: 'integer', default: 0 }) reservedUnits: number;
  @Column(fenColumn('final_unit_price_fen', { nullable: true })) finalUnitPrice: Decimal | null;
  /** Variants whose paid units missed the per-variant minimum at close: not produced, refunded. */
  @Column(jsonColumn('dropped_variants', { nullable: true })) droppedVariants: string[] | null;
  @Column(timestampColumn('decided_at', { nullable: true })) decidedAt: Date | null;
  @Column(timestampColumn('balance_due_at', { nullable: true })) balanceDueAt: Date | null;
  @Column(timestampColumn('completed_at', { nullable: true })) completedAt: Date | null;
  @Column(timestampColumn('cancelled_at', { nullable: true })) cancelledAt: Date | null;
  /**
   * When it was published; null for a draft, and for a draft discarded (cancelled) without ever being published:
   * only a campaign published once is public, whatever its status now.
   */
  @Column(timestampColumn('published_at', { nullable: true })) publishedAt: Date | null;
  /** Why an operator cancelled it (shown to operators only). */
  @Column({ name: 'cancel_reason', type: 'varchar', length: 500, nullable: true }) cancelReason: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
}
