import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';
import type { Role } from '../platform/http/principal';

/** Everyone who signs in: consumers, operators, and factories' portal users (who belong to one factory). */
@Entity('users')
export class UserRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  /** Stored lower-cased, unique; null for a consumer who signed up by phone. */
  @Column({ type: 'varchar', length: 254, nullable: true }) email: string | null;
  /** Mainland mobile in E.164 (+8613812345678), unique; null for accounts made by email. */
  @Column({ type: 'varchar', length: 16, nullable: true }) phone: string | null;
  /** null for a consumer who signed up by phone: they sign in with a code, never a password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true }) passwordHash: string | null;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  @Column({ name: 'factory_id', type: 'varchar', length: 36, nullable: true }) factoryId: string | null;
  @Column({ name: 'display_name', type: 'varchar', length: 100 }) displayName: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
  /** Set when an operator disabled the account (factory portal users): it cannot sign in, and its sessions were ended. */
  @Column(timestampColumn('disabled_at', { nullable: true })) disabledAt: Date | null;
}
