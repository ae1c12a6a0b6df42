import { Column, Entity, PrimaryColumn } from 'typeorm';
import { fenColumn, timestampColumn } from '../platform/database';
import type { Decimal } from '../platform/money';

export type BatchStatus = 'awaiting_approval' | 'approved';
export type PayoutStatus = 'pending' | 'sent' | 'confirmed' | 'failed';
export type PayoutMethod = 'sandbox' | 'bank_file';

/** What an operator proposed to pay (one payout per factory or shop owner owed), and, once approved, sent. */
@Entity('payout_batches')
export class PayoutBatchRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 20 }) status: BatchStatus;
  @Column({ type: 'varchar', length: 20, nullable: true }) method: PayoutMethod | null;
  @Column(fenColumn('total_fen')) total: Decimal;
  @Column({ name: 'payout_count', type: 'integer' }) payoutCount: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column({ name: 'approved_by', type: 'varchar', length: 36, nullable: true }) approvedBy: string | null;
  @Column(timestampColumn('approved_at', { nullable: true })) approvedAt: Date | null;
}

/**
 * Money out to one payee, a factory or a shop owner (exactly one of `factoryId`, `shopId`): the sum of the
 * factory's statements, or of the shop owner's statement lines, it pays. pending → sent → confirmed | failed
 * (and failed → sent again).
 */
@Entity('payouts')
export class PayoutRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'batch_id', type: 'varchar', length: 36 }) batchId: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36, nullable: true }) factoryId: string | null;
  /** The shop owner's shop (commission, docs/shop-owners.md); null for a factory's payout. */
  @Column({ name: 'shop_id', type: 'varchar', length: 36, nullable: true }) shopId: string | null;
  @Column(fenColumn('amount_fen')) amount: Decimal;
  @Column({ type: 'varchar', length: 20 }) status: PayoutStatus;
  @Column({ type: 'varchar', length: 20, nullable: true }) method: PayoutMethod | null;
  /** The provider's (or the bank file's) reference for the transfer. */
  @Column({ type: 'varchar', length: 64, nullable: true }) reference: string | null;
  @Column({ type: 'integer' }) attempts: number;
  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true }) lastError: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
  @Column(timestampColumn('confirmed_at', { nullable: true })) confirmedAt: Date | null;
}

/** A bank account a transfer goes to (the bank file's payee): a factory's, or a shop owner's. */
export abstract class BankAccount {
  @Column({ name: 'account_name', type: 'varchar', length: 200 }) accountName: string;
  @Column({ name: 'account_number', type: 'varchar', length: 40 }) accountNumber: string;
  @Column({ name: 'bank_name', type: 'varchar', length: 200 }) bankName: string;
  /** The CNAPS code (联行号, 12 digits) of the receiving branch. */
  @Column({ name: 'bank_code', type: 'varchar', length: 12 }) bankCode: string;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}

/** Where a factory is paid. */
@Entity('factory_payees')
export class PayeeRow extends BankAccount {
  @PrimaryColumn({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
}

/** Where a shop owner is paid their commission: set by the shop owner (PUT /v1/me/shop/payee). */
@Entity('shop_payees')
export class ShopPayeeRow extends BankAccount {
  @PrimaryColumn({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
}
