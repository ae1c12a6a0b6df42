import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';
import type { Role } from '../platform/http/principal';

/** Everyone who signs in: consumers, operators, and factories' portal users (who belong to one factory). */
@Entity('users')
export class UserRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  /** Stored lower-cased, unique. */
  @Column({ type: 'varchar', length: 254 }) email: string;
  @Column({ name: 'password_hash', type: 'varchar', length: 255 }) passwordHash: string;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  @Column({ name: 'factory_id', type: 'varchar', length: 36, nullable: true }) factoryId: string | null;
  @Column({ name: 'display_name', type: 'varchar', length: 100 }) displayName: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
}
