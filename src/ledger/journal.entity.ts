import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/** One movement of money. Immutable: never updated or deleted; a correction is a new entry. */
@Entity('journal_entries')
export class JournalEntryRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 40 }) kind: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  @Column({ name: 'box_id', type: 'varchar', length: 36, nullable: true }) boxId: string | null;
  @Column({ name: 'payment_id', type: 'varchar', length: 36, nullable: true }) paymentId: string | null;
  @Column({ name: 'refund_id', type: 'varchar', length: 36, nullable: true }) refundId: string | null;
  @Column({ name: 'payout_id', type: 'varchar', length: 36, nullable: true }) payoutId: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/** One side of an entry: a debit (positive) or a credit (negative) to one account. An entry's lines sum to zero. */
@Entity('journal_lines')
export class JournalLineRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'entry_id', type: 'varchar', length: 36 }) entryId: string;
  @Column({ type: 'varchar', length: 120 }) account: string;
  @Column(fenColumn('amount_fen')) amount: Decimal;
}
