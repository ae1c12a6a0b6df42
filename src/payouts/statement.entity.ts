import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/**
 * What one campaign earned one factory, made once the campaign is final, or (orchards) what the fruit of
 * one ISO ship week's boxes earned one orchard: each figure is the sum of the lines of the journal entries
 * the statement lists (factory_statement_entries), to the fen.
 * net = balancesReceived + depositsApplied + depositsForfeited + fruitSupplied − platformFee − refunds + adjustments.
 * A campaign's (or week's) later entries make a statement of their own, the next `sequence`.
 */
@Entity('factory_statements')
export class StatementRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  /** The campaign, or null for an orchard's week of fruit boxes. */
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  /** The ISO ship week (2027-W09) of an orchard's statement; null for a campaign's. */
  @Column({ type: 'varchar', length: 8, nullable: true }) period: string | null;
  @Column({ type: 'integer' }) sequence: number;
  @Column(fenColumn('balances_received_fen')) balancesReceived: Decimal;
  @Column(fenColumn('deposits_applied_fen')) depositsApplied: Decimal;
  @Column(fenColumn('deposits_forfeited_fen')) depositsForfeited: Decimal;
  @Column(fenColumn('platform_fee_fen')) platformFee: Decimal;
  @Column(fenColumn('fruit_supplied_fen')) fruitSupplied: Decimal;
  @Column(fenColumn('refunds_fen')) refunds: Decimal;
  @Column(fenColumn('adjustments_fen')) adjustments: Decimal;
  @Column(fenColumn('net_fen')) net: Decimal;
  @Column({ name: 'entry_count', type: 'integer' }) entryCount: number;
  /** The payout that pays it; null while unpaid. Set once, by the batch that claims it. */
  @Column({ name: 'payout_id', type: 'varchar', length: 36, nullable: true }) payoutId: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/**
 * A journal entry counted in a factory's statement. The entry and the factory are the key: an entry is counted once
 * for each factory whose payable it moves, never twice for one (a charged fruit box owes each orchard of its fruit,
 * each on its own statement).
 */
@Entity('factory_statement_entries')
export class StatementEntryRow {
  @PrimaryColumn({ name: 'entry_id', type: 'varchar', length: 36 }) entryId: string;
  /** The factory of the statement: the one whose payable line of the entry the statement counts. */
  @PrimaryColumn({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ name: 'statement_id', type: 'varchar', length: 36 }) statementId: string;
}
