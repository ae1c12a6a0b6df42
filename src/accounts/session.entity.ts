import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';
import type { UserRow } from './user.entity';

/** One sign-in. Its bearer token is valid only while this row exists (and the token has not expired). */
@Entity('sessions')
export class SessionRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('expires_at')) expiresAt: Date;
}

/** A signed-in user's bearer token, as sign-in, sign-up and phone verification answer it. */
export interface Session {
  token: string;
  expiresAt: Date;
  user: UserRow;
}
