import { Column, Entity, PrimaryColumn } from 'typeorm';
import { jsonColumn, timestampColumn } from '../platform/database';

import type { NotificationKind } from './templates';

export type { NotificationKind };

/**
 * The consumer-notification outbox: written in the transaction of the event it reports. Consumers read
 * it at GET /v1/me/notifications; an SMS or WeChat sender would drain it the same way.
 */
@Entity('consumer_notifications')
export class NotificationRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ type: 'varchar', length: 40 }) kind: NotificationKind;
  @Column({ name: 'campaign_id', type: 'varchar', length: 36, nullable: true }) campaignId: string | null;
  @Column({ name: 'pledge_id', type: 'varchar', length: 36, nullable: true }) pledgeId: string | null;
  /** The sentence in Chinese when written (for an outbox sender); readers get it made again in their language from kind + data. */
  @Column({ type: 'varchar', length: 500 }) message: string;
  @Column(jsonColumn('data')) data: object;
  @Column(timestampColumn('created_at')) createdAt: Date;
}
