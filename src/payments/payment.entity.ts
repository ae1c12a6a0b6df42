import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';
import type { CheckoutChannel } from './gateway';

/** A pledge's deposit or balance, or a fruit box's charge; or money the gateway took that we did not ask for (refunded). */
export type PaymentKind = 'deposit' | 'balance' | 'box' | 'unexpected';
/** Why money the gateway took was not what we asked for. */
export type UnexpectedReason = 'amount_mismatch' | 'currency_mismatch' | 'second_charge' | 'unknown_payment';
/** pending → succeeded | failed | cancelled (no longer wanted); a success arriving after failed or cancelled is still honoured (succeeded), and refunded if nothing wants it. */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

@Entity('payments')
export class PaymentRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 16 }) kind: PaymentKind;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  /** Set for a pledge's payments. */
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  /** Set for a fruit box's charge. */
  @Column({ name: 'box_id', type: 'varchar', length: 36, nullable: true }) boxId: string | null;
  /** Null only for money reported against a payment we do not know. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true }) userId: string | null;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  /** ISO 4217; the ledger's currency is CNY, other currencies can only be money we did not ask for. */
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @Column({ type: 'varchar', length: 16 }) status: PaymentStatus;
  /** The gateway's id of the money taken, once it is taken (unique per provider). */
  @Column({ name: 'transaction_id', type: 'varchar', length: 64, nullable: true }) transactionId: string | null;
  /** Who paid, as the provider knows them (WeChat Pay openid, Alipay user id), once the money is taken and when it says: a compensation is paid to them. */
  @Column({ type: 'varchar', length: 128, nullable: true }) payer: string | null;
  /** For money we did not ask for: the payment id the gateway reported it against (ours, or one we do not know), and why it was unexpected. */
  @Column({ name: 'reported_payment_id', type: 'varchar', length: 64, nullable: true }) reportedPaymentId: string | null;
  @Column({ name: 'unexpected_reason', type: 'varchar', length: 32, nullable: true }) unexpectedReason: UnexpectedReason | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('settled_at', { nullable: true })) settledAt: Date | null;
  /** When the query job next asks the providers of its checkouts about it; null: not (any more). */
  @Column(timestampColumn('next_query_at', { nullable: true })) nextQueryAt: Date | null;
  /** The day of the provider's statement that shows its money; null: none yet. */
  @Column({ name: 'statement_day', type: 'varchar', length: 10, nullable: true }) statementDay: string | null;
}

/** A payment offered at a provider: money that provider reports for the payment is the payment asked for. */
@Entity('payment_checkouts')
export class PaymentCheckoutRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36 }) paymentId: string;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ type: 'varchar', length: 8 }) channel: CheckoutChannel;
  @Column(timestampColumn('created_at')) createdAt: Date;
  /** The payment's own deadline when the checkout was made (the deposit hold, the balance due). */
  @Column(timestampColumn('expires_at')) expiresAt: Date;
}

/** pending (to send) → succeeded, or processing (the provider took it, not finished) → succeeded; `failed` = the last attempt failed or the provider refused it: it is sent again. */
export type RefundStatus = 'pending' | 'processing' | 'failed' | 'succeeded';

@Entity('refunds')
export class RefundRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36 }) paymentId: string;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  /** Null only for the refund of money reported against a payment we do not know. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true }) userId: string | null;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column({ type: 'varchar', length: 40 }) reason: string;
  @Column({ type: 'varchar', length: 16 }) status: RefundStatus;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true }) lastError: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('succeeded_at', { nullable: true })) succeededAt: Date | null;
  /** When the query job next asks the provider about it (a refund left processing); null: not. */
  @Column(timestampColumn('next_query_at', { nullable: true })) nextQueryAt: Date | null;
  /** The day of the provider's statement that shows it paid out; null: none yet. */
  @Column({ name: 'statement_day', type: 'varchar', length: 10, nullable: true }) statementDay: string | null;
}

/** Every gateway notification processed, by its event id: a replay finds its id here and changes nothing. */
@Entity('gateway_events')
export class GatewayEventRow {
  @PrimaryColumn({ type: 'varchar', length: 120 }) id: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36 }) paymentId: string;
  @Column({ type: 'varchar', length: 40 }) type: string;
  @Column(timestampColumn('received_at')) receivedAt: Date;
}

/** What a statement difference is: money on one side only, or not the same amount on both. */
export type StatementDifferenceKind =
  /** The provider took money we have no record of (a lost notification, or money we did not ask for). */
  | 'payment_not_recorded'
  /** We recorded money the provider's statement does not show. */
  | 'payment_not_at_provider'
  | 'payment_amount_differs'
  /** The provider paid out a refund we had not seen confirmed. */
  | 'refund_not_confirmed'
  /** The provider paid out a refund we know nothing of. */
  | 'refund_not_recorded'
  | 'refund_not_at_provider'
  | 'refund_amount_differs';
/** What was done: settled (a lost payment recorded, through the notification path), refunded (money we did not ask for, sent back), confirmed (a refund recorded as paid out), reported (for an operator to look into). */
export type StatementResolution = 'settled' | 'refunded' | 'confirmed' | 'reported';

/** One provider's statement of one day, compared. */
@Entity('payment_statement_checks')
export class StatementCheckRow {
  @PrimaryColumn({ type: 'varchar', length: 16 }) provider: string;
  @PrimaryColumn({ type: 'varchar', length: 10 }) day: string;
  @Column({ type: 'integer' }) lines: number;
  @Column({ type: 'integer' }) differences: number;
  @Column(timestampColumn('checked_at')) checkedAt: Date;
}

/** A difference between a provider's statement and our records, and what was done about it. */
@Entity('payment_statement_differences')
export class StatementDifferenceRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ type: 'varchar', length: 10 }) day: string;
  @Column({ type: 'varchar', length: 32 }) kind: StatementDifferenceKind;
  /** The statement line (its transaction or refund id): a day compared again records it once. */
  @Column({ name: 'line_key', type: 'varchar', length: 100 }) lineKey: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 36, nullable: true }) paymentId: string | null;
  @Column({ name: 'refund_id', type: 'varchar', length: 36, nullable: true }) refundId: string | null;
  @Column({ name: 'transaction_id', type: 'varchar', length: 64, nullable: true }) transactionId: string | null;
  @Column(fenColumn('provider_amount_fen', { nullable: true })) providerAmount: Decimal | null;
  @Column(fenColumn('our_amount_fen', { nullable: true })) ourAmount: Decimal | null;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @Column({ type: 'varchar', length: 16 }) resolution: StatementResolution;
  @Column({ type: 'varchar', length: 255 }) detail: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
}
