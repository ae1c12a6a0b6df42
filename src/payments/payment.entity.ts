import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

export type PaymentKind = 'deposit' | 'balance';
/** pending → succeeded | failed | cancelled (no longer wanted; a late success is still honoured and refunded). */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

@Entity('payments')
export class PaymentRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 16 }) kind: PaymentKind;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36 }) pledgeId: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column({ type: 'varchar', length: 16 }) status: PaymentStatus;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('settled_at', { nullable: true })) settledAt: Date | null;
}

/** pending (to send, or being retried) → succeeded. `failed` = the last attempt failed; it will be retried. */
export type RefundStatus = 'pending' | 'failed' | 'succeeded';

@Entity('refunds')
export class RefundRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36 }) paymentId: string;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36 }) pledgeId: string;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column({ type: 'varchar', length: 40 }) reason: string;
  @Column({ type: 'varchar', length: 16 }) status: RefundStatus;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true }) lastError: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('succeeded_at', { nullable: true })) succeededAt: Date | null;
}

/** Every gateway notification processed, by its event id: a replay finds its id here and changes nothing. */
@Entity('gateway_events')
export class GatewayEventRow {
  @PrimaryColumn({ type: 'varchar', length: 120 }) id: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36 }) paymentId: string;
  @Column({ type: 'varchar', length: 40 }) type: string;
  @Column(timestampColumn('received_at')) receivedAt: Date;
}
