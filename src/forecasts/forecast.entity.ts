import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeliveryErrorKind } from '../factories';
import { timestampColumn } from '../platform/database';
import type { LineChange, LineKind } from './batch';

export type BatchTrigger = 'daily' | 'campaign_decided' | 'operator';

/** One published version of a factory's forecast. Never changed after it is written, but for its acknowledgement. */
@Entity('forecast_batches')
export class ForecastBatchRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ type: 'integer' }) version: number;
  @Column({ type: 'varchar', length: 20 }) trigger: BatchTrigger;
  @Column(timestampColumn('published_at')) publishedAt: Date;
  @Column({ name: 'line_count', type: 'integer' }) lineCount: number;
  @Column({ name: 'firm_units', type: 'integer' }) firmUnits: number;
  @Column({ name: 'expected_units', type: 'integer' }) expectedUnits: number;
  @Column(timestampColumn('acknowledged_at', { nullable: true })) acknowledgedAt: Date | null;
  @Column({ name: 'acknowledged_by', type: 'varchar', length: 60, nullable: true }) acknowledgedBy: string | null;
}

/**
 * A line of a batch, immutable: one campaign × variant (its ship week is the campaign's), or one supply
 * key × unit × ship week (kind 'supply', e.g. an orchard's fruit for the boxes, with no campaign).
 */
@Entity('forecast_lines')
export class ForecastLineRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'batch_id', type: 'varchar', length: 36 }) batchId: string;
  @Column({ name: 'line_no', type: 'integer' }) lineNo: number;
  @Column({ type: 'varchar', length: 10 }) kind: LineKind;
  /** The campaign's id, or the supply key such as `fruit:mango`. */
  @Column({ name: 'source_key', type: 'varchar', length: 60 }) sourceKey: string;
  /** Null for supply lines. */
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'campaign_title', type: 'varchar', length: 200 }) campaignTitle: string;
  @Column({ name: 'product_name', type: 'varchar', length: 200 }) productName: string;
  @Column({ type: 'varchar', length: 255 }) variant: string;
  @Column({ name: 'ship_week', type: 'varchar', length: 8 }) shipWeek: string;
  @Column({ name: 'firm_units', type: 'integer' }) firmUnits: number;
  @Column({ name: 'expected_units', type: 'integer' }) expectedUnits: number;
  @Column({ name: 'low_units', type: 'integer' }) lowUnits: number;
  @Column({ name: 'high_units', type: 'integer' }) highUnits: number;
  @Column({ name: 'previous_firm_units', type: 'integer', nullable: true }) previousFirmUnits: number | null;
  @Column({ name: 'previous_expected_units', type: 'integer', nullable: true }) previousExpectedUnits: number | null;
  @Column({ type: 'varchar', length: 10 }) change: LineChange;
}

export type ShortfallReason = 'capacity' | 'material' | 'other';

/** A factory's commitment on a line: how many it will make, by when, and why fewer than the firm units. The latest one counts. */
@Entity('forecast_commitments')
export class CommitmentRow {
  @PrimaryColumn({ name: 'line_id', type: 'varchar', length: 36 }) lineId: string;
  @Column({ name: 'batch_id', type: 'varchar', length: 36 }) batchId: string;
  @Column({ type: 'integer' }) quantity: number;
  @Column({ name: 'ship_by', type: 'varchar', length: 10 }) shipBy: string;
  @Column({ type: 'varchar', length: 10, nullable: true }) reason: ShortfallReason | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) note: string | null;
  @Column(timestampColumn('committed_at')) committedAt: Date;
  @Column({ name: 'committed_by', type: 'varchar', length: 60 }) committedBy: string;
  /** The version it was made on when it was carried over to this one (the line unchanged); null when made on this version. */
  @Column({ name: 'carried_from_version', type: 'integer', nullable: true }) carriedFromVersion: number | null;
}

/** One attempt to push a batch to a factory's webhook. */
@Entity('webhook_deliveries')
export class WebhookDeliveryRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ name: 'batch_id', type: 'varchar', length: 36 }) batchId: string;
  @Column({ type: 'integer' }) version: number;
  @Column({ type: 'integer' }) attempt: number;
  @Column({ type: 'varchar', length: 2000 }) url: string;
  @Column(timestampColumn('attempted_at')) attemptedAt: Date;
  @Column({ name: 'status_code', type: 'integer', nullable: true }) statusCode: number | null;
  @Column({ type: 'varchar', length: 300, nullable: true }) error: string | null;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs: number;
  @Column({ type: 'boolean' }) delivered: boolean;
  /** Asked for by a person (redeliver, push now), not by the automatic retries. */
  @Column({ type: 'boolean', default: false }) manual: boolean;
  /** Why it failed, in one word (http_status, timeout, connect_failed, address_not_public); null when delivered. */
  @Column({ name: 'error_kind', type: 'varchar', length: 20, nullable: true }) errorKind: DeliveryErrorKind | null;
}
