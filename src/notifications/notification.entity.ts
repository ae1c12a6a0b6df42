import { Column, Entity, PrimaryColumn } from 'typeorm';
import { jsonColumn, timestampColumn } from '../platform/database';

export type NotificationKind = 'deposit_received' | 'campaign_succeeded' | 'campaign_failed' | 'campaign_cancelled' | 'variant_not_produced' | 'balance_reminder' | 'balance_received' | 'refund_sent' | 'deposit_forfeited' | 'pledge_expired'
  | 'box_charged' | 'box_charge_failed' | 'box_cancelled' | 'box_compensated';

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
  @Column({ type: 'varchar', length: 500 }) message: string;
  @Column(jsonColumn('data')) data: object;
  @Column(timestampColumn('created_at')) createdAt: Date;
}
