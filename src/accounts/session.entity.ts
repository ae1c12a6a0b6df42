import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';

/** One sign-in. Its bearer token is valid only while this row exists (and the token has not expired). */
@Entity('sessions')
export class SessionRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('expires_at')) expiresAt: Date;
}
