import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/** What a rate is set on: a campaign (its pledges' purchases) or a subscription plan (its fruit boxes). */
export const RATE_SUBJECTS = ['campaign', 'plan'] as const;
export type RateSubject = (typeof RATE_SUBJECTS)[number];

/** The operator's commission rate on one campaign or plan (docs/shop-owners.md § Commission); none set = 0. */
@Entity('commission_rates')
export class CommissionRateRow {
  @PrimaryColumn({ name: 'subject', type: 'varchar', length: 12 }) subject: RateSubject;
  @PrimaryColumn({ name: 'subject_id', type: 'varchar', length: 40 }) subjectId: string;
  /** A decimal string such as "0.03". */
  @Column({ type: 'varchar', length: 12 }) rate: string;
  @Column({ name: 'set_by', type: 'varchar', length: 36 }) setBy: string;
  @Column(timestampColumn('set_at')) setAt: Date;
}

/** commission: a sale through a shop owner's link; rebate: a shop owner's own purchase (自购省钱). */
export const EARNING_KINDS = ['commission', 'rebate'] as const;
export type EarningKind = (typeof EARNING_KINDS)[number];

/**
 * One sale that earned a shop owner money: a completed pledge or a charged fruit box, at most one per
 * pledge and one per box (unique indexes), with what it earned and whether it was clawed back. The ledger
 * holds the money; this is what reconcile and the levels count it against.
 */
@Entity('commission_earnings')
export class CommissionEarningRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'varchar', length: 12 }) kind: EarningKind;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'box_id', type: 'varchar', length: 36, nullable: true }) boxId: string | null;
  @Column({ name: 'plan_id', type: 'varchar', length: 40, nullable: true }) planId: string | null;
  /** The consumer who bought. */
  @Column({ name: 'buyer_id', type: 'varchar', length: 36 }) buyerId: string;
  /** The final price the commission is on. */
  @Column(fenColumn('sale_fen')) sale: Decimal;
  /** The rate applied: base, plus the level's bonus for a commission. */
  @Column({ type: 'varchar', length: 12 }) rate: string;
  /** The shop owner's level when the sale completed (a rebate has none). */
  @Column({ type: 'varchar', length: 16, nullable: true }) level: string | null;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column(timestampColumn('earned_at')) earnedAt: Date;
  @Column(timestampColumn('clawed_back_at', { nullable: true })) clawedBackAt: Date | null;
}

/** A shop owner's own completed attributed sales, net of clawbacks (never self-purchases): what their level is earned by. */
@Entity('shop_sales')
export class ShopSalesRow {
  @PrimaryColumn({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column(fenColumn('completed_sales_fen')) completedSales: Decimal;
}
