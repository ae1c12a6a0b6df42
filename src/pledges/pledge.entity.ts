import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

/**
 * awaiting_deposit → active → awaiting_balance → paid, with the side exits expired, cancelled,
 * refunded and forfeited (DESIGN.md §2).
 */
export const PLEDGE_STATUSES = ['awaiting_deposit', 'active', 'awaiting_balance', 'paid', 'expired', 'cancelled', 'refunded', 'forfeited'] as const;
export type PledgeStatus = (typeof PLEDGE_STATUSES)[number];

/** Deposit paid and not given back: what the campaign's held-deposits account must equal. */
export const HOLDING_STATUSES: PledgeStatus[] = ['active', 'awaiting_balance'];
/** Units that count as pledged in public progress: the deposit was paid and not returned. */
export const PAID_STATUSES: PledgeStatus[] = ['active', 'awaiting_balance', 'paid', 'forfeited'];

@Entity('pledges')
export class PledgeRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'variant_key', type: 'varchar', length: 255 }) variantKey: string;
  @Column({ type: 'integer' }) quantity: number;
  @Column({ type: 'varchar', length: 20 }) status: PledgeStatus;
  @Column(fenColumn('deposit_per_unit_fen')) depositPerUnit: Decimal;
  @Column(fenColumn('deposit_fen')) deposit: Decimal;
  @Column(fenColumn('unit_price_fen', { nullable: true })) unitPrice: Decimal | null;
  @Column(fenColumn('credited_per_unit_fen', { nullable: true })) creditedPerUnit: Decimal | null;
  @Column(fenColumn('balance_fen', { nullable: true })) balance: Decimal | null;
  @Column({ name: 'deposit_payment_id', type: 'varchar', length: 36 }) depositPaymentId: string;
  @Column({ name: 'balance_payment_id', type: 'varchar', length: 36, nullable: true }) balancePaymentId: string | null;
  /** The deposit must be paid by then, or the pledge expires and its units go back. */
  @Column(timestampColumn('expires_at')) expiresAt: Date;
  @Column(timestampColumn('balance_due_at', { nullable: true })) balanceDueAt: Date | null;
  @Column(timestampColumn('reminded_at', { nullable: true })) remindedAt: Date | null;
  /** The shop owner's shop the pledge is attributed to, as bound when it was made (docs/shop-owners.md); null: none. */
  @Column({ name: 'shop_id', type: 'varchar', length: 36, nullable: true }) shopId: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}

/** Units one consumer holds in one campaign: what the per-consumer limit is checked against, with one conditional update. */
@Entity('campaign_consumer_units')
export class ConsumerUnitsRow {
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ type: 'integer' }) units: number;
}
