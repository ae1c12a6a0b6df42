import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OptionDimension } from '../campaigns';
import { fenColumn, jsonColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/**
 * draft (proposed, not yet shown to shop owners) → trial (an operator opened it: applications from
 * `trialOpensAt`, ratings until `trialClosesAt`) → launched (a campaign made from it) or rejected. Whether a
 * trial is still open is read from the clock, not stored (ConceptPhase).
 */
export const CONCEPT_STATUSES = ['draft', 'trial', 'launched', 'rejected'] as const;
export type ConceptStatus = (typeof CONCEPT_STATUSES)[number];

/** The phases a person reads: a concept in trial is scheduled, open or closed by the clock. */
export const CONCEPT_PHASES = ['draft', 'trial_scheduled', 'trial_open', 'trial_closed', 'launched', 'rejected'] as const;
export type ConceptPhase = (typeof CONCEPT_PHASES)[number];

export function phaseOf(c: Pick<ConceptRow, 'status' | 'trialOpensAt' | 'trialClosesAt'>, now: Date): ConceptPhase {
  if (c.status !== 'trial') return c.status;
  if (now < c.trialOpensAt) return 'trial_scheduled';
  return now < c.trialClosesAt ? 'trial_open' : 'trial_closed';
}

/** A product a factory might make, put before shop owners as a sample before anything is launched. */
@Entity('concepts')
export class ConceptRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  /** Who proposed it: the factory itself (portal or API key) or an operator for it. */
  @Column({ name: 'proposed_by', type: 'varchar', length: 16 }) proposedBy: 'factory' | 'operator';
  @Column({ type: 'varchar', length: 16 }) status: ConceptStatus;
  @Column({ type: 'varchar', length: 200 }) title: string;
  @Column({ type: 'text' }) description: string;
  @Column(jsonColumn('photo_urls')) photoUrls: string[];
  @Column(jsonColumn('options')) options: OptionDimension[];
  @Column(fenColumn('target_price_fen')) targetPrice: Decimal;
  @Column({ name: 'minimum_run', type: 'integer' }) minimumRun: number;
  @Column({ name: 'trial_places', type: 'integer' }) trialPlaces: number;
  @Column(timestampColumn('trial_opens_at')) trialOpensAt: Date;
  @Column(timestampColumn('trial_closes_at')) trialClosesAt: Date;
  @Column({ name: 'rejection_reason', type: 'varchar', length: 500, nullable: true }) rejectionReason: string | null;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'launched_by', type: 'varchar', length: 36, nullable: true }) launchedBy: string | null;
  @Column(timestampColumn('launched_at', { nullable: true })) launchedAt: Date | null;
  /** The operator's written reason for launching a concept below the gate; null when it passed. */
  @Column({ name: 'override_reason', type: 'varchar', length: 1000, nullable: true }) overrideReason: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}

export const APPLICATION_STATUSES = ['applied', 'picked'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** A shop owner's application for a sample of a concept: one per shop and concept. */
@Entity('concept_trial_applications')
export class TrialApplicationRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'concept_id', type: 'varchar', length: 36 }) conceptId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'varchar', length: 16 }) status: ApplicationStatus;
  @Column(timestampColumn('applied_at')) appliedAt: Date;
  @Column({ name: 'picked_by', type: 'varchar', length: 36, nullable: true }) pickedBy: string | null;
  @Column(timestampColumn('picked_at', { nullable: true })) pickedAt: Date | null;
}

/** A picked shop owner's rating of a concept (0–10 on each dimension): one per shop and concept, editable until the trial closes. */
@Entity('concept_ratings')
export class RatingRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'concept_id', type: 'varchar', length: 36 }) conceptId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  /** 性能/品质 */
  @Column({ type: 'integer' }) performance: number;
  /** 价格接受度: at the concept's target price. */
  @Column({ name: 'price_acceptance', type: 'integer' }) priceAcceptance: number;
  /** 设计 */
  @Column({ type: 'integer' }) design: number;
  /** 包装 */
  @Column({ type: 'integer' }) packaging: number;
  @Column({ type: 'varchar', length: 1000 }) comment: string;
  /** "Would you pre-order at the target price?" and, if so, how many units: stated intent, the first demand estimate. */
  @Column({ name: 'would_preorder', type: 'boolean' }) wouldPreorder: boolean;
  @Column({ name: 'preorder_units', type: 'integer' }) preorderUnits: number;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}
