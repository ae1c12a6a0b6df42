import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/**
 * A shop owner's monthly commission statement (docs/shop-owners.md § Statements): the journal entries on their
 * commission payable of a China month (`period`, 2026-11) and any earlier one not yet stated, made once the month
 * is settled (COMMISSION_SETTLE_DAYS after it ends). net = commission + rebates − clawedBack, to the fen; `held`
 * is the part of net on hold for an operator's review when the statement was made.
 */
@Entity('shop_statements')
export class ShopStatementRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'varchar', length: 7 }) period: string;
  /** 1 for a month's statement; a later one for entries of that month stated after it (a transaction committed late). */
  @Column({ type: 'integer' }) sequence: number;
  @Column(fenColumn('commission_fen')) commission: Decimal;
  @Column(fenColumn('rebates_fen')) rebates: Decimal;
  /** Commission and rebates taken back (after-sale refunds, and voided holds): a positive figure subtracted. */
  @Column(fenColumn('clawed_back_fen')) clawedBack: Decimal;
  @Column(fenColumn('net_fen')) net: Decimal;
  @Column(fenColumn('held_fen')) held: Decimal;
  @Column({ name: 'line_count', type: 'integer' }) lineCount: number;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/**
 * One journal entry on a shop owner's commission payable, on exactly one statement (the entry id is the key). A line
 * is paid by one payout (claimed with a conditional update), unless it is on hold: a line whose hold is `held` or
 * `voided` is never in a payout, one whose hold was released is paid like any other.
 */
@Entity('shop_statement_lines')
export class ShopStatementLineRow {
  @PrimaryColumn({ name: 'entry_id', type: 'varchar', length: 36 }) entryId: string;
  @Column({ name: 'statement_id', type: 'varchar', length: 36 }) statementId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'varchar', length: 40 }) kind: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  @Column({ name: 'box_id', type: 'varchar', length: 36, nullable: true }) boxId: string | null;
  /** What the entry made the shop owner owed: the negated line on their payable (a credit is owed; a clawback is negative). */
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column(timestampColumn('posted_at')) postedAt: Date;
  @Column({ name: 'hold_id', type: 'varchar', length: 36, nullable: true }) holdId: string | null;
  @Column({ name: 'payout_id', type: 'varchar', length: 36, nullable: true }) payoutId: string | null;
}

export type HoldStatus = 'held' | 'released' | 'voided';

/**
 * A shop owner's commission on one campaign held for an operator's review (the concentration rule,
 * docs/shop-owners.md § Holds): its lines stay out of payouts until released, or are voided (a
 * `commission_voided` entry takes the amount back).
 */
@Entity('commission_holds')
export class CommissionHoldRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @Column({ type: 'varchar', length: 16 }) status: HoldStatus;
  /** The sum of the hold's lines (a later month's lines of the same campaign join a hold still held). */
  @Column(fenColumn('amount_fen')) amount: Decimal;
  /** The shop owner's customers' completed units on the campaign, and all its completed units, when held. */
  @Column({ name: 'shop_units', type: 'integer' }) shopUnits: number;
  @Column({ name: 'total_units', type: 'integer' }) totalUnits: number;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true }) decidedBy: string | null;
  @Column(timestampColumn('decided_at', { nullable: true })) decidedAt: Date | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason: string | null;
  /** The first `commission_voided` journal entry of a voided hold (one per pledge since, one per hold before). */
  @Column({ name: 'void_entry_id', type: 'varchar', length: 36, nullable: true }) voidEntryId: string | null;
}
