import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';

/**
 * The live sign-in code of one phone (a new code replaces the old one) and the phone's send counts.
 * The code itself is never stored: only its HMAC-SHA256 under a key derived from AUTH_SECRET, so a copy
 * of the database does not reveal codes (six digits hashed without a secret are a million guesses away).
 */
@Entity('phone_codes')
export class PhoneCodeRow {
  /** E.164. */
  @PrimaryColumn({ type: 'varchar', length: 16 }) phone: string;
  @Column({ name: 'code_hash', type: 'varchar', length: 64 }) codeHash: string;
  @Column(timestampColumn('sent_at')) sentAt: Date;
  @Column(timestampColumn('expires_at')) expiresAt: Date;
  /** Wrong codes tried against this code. */
  @Column({ type: 'integer' }) attempts: number;
  @Column(timestampColumn('used_at', { nullable: true })) usedAt: Date | null;
  /** Start of the hour the phone's sends are counted in, and how many were sent in it. */
  @Column(timestampColumn('window_started_at')) windowStartedAt: Date;
  @Column({ name: 'sent_in_window', type: 'integer' }) sentInWindow: number;
}
