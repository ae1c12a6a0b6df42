import { Column, Entity, PrimaryColumn } from 'typeorm';
import { jsonColumn, timestampColumn } from '../platform/database';

/** pending → approved (a shop, with its code) or refused (with a reason); a refused consumer may apply again. */
export const SHOP_STATUSES = ['pending', 'approved', 'refused'] as const;
export type ShopStatus = (typeof SHOP_STATUSES)[number];

/** A consumer's application to be a shop owner (小B) and, once approved, their shop. */
@Entity('shops')
export class ShopRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  /** The applicant while pending or approved, null once refused: its unique index allows one open application per consumer. */
  @Column({ name: 'open_user_id', type: 'varchar', length: 36, nullable: true }) openUserId: string | null;
  @Column({ type: 'varchar', length: 16 }) status: ShopStatus;
  /** Given at approval: what share links carry (`?s=`) and the shop page's address (`/s/:code`). */
  @Column({ type: 'varchar', length: 8, nullable: true }) code: string | null;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 16 }) phone: string;
  @Column({ name: 'wechat_id', type: 'varchar', length: 64 }) wechatId: string;
  @Column({ type: 'varchar', length: 500 }) greeting: string;
  @Column(jsonColumn('campaign_ids')) campaignIds: string[];
  @Column(jsonColumn('plan_ids')) planIds: string[];
  @Column(timestampColumn('applied_at')) appliedAt: Date;
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true }) decidedBy: string | null;
  @Column(timestampColumn('decided_at', { nullable: true })) decidedAt: Date | null;
  @Column({ name: 'refusal_reason', type: 'varchar', length: 500, nullable: true }) refusalReason: string | null;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}

/** The one shop a consumer is bound to, until `expiresAt` (docs/shop-owners.md: first binding wins while it lasts). */
@Entity('shop_bindings')
export class ShopBindingRow {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column(timestampColumn('bound_at')) boundAt: Date;
  @Column(timestampColumn('expires_at')) expiresAt: Date;
}

/** One anonymous visitor's visit to a shop's link on one China day: counted once however often they open it. */
@Entity('shop_visits')
export class ShopVisitRow {
  @PrimaryColumn({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  /** The campaign the link was to, or '' for the shop page itself. */
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  /** YYYY-MM-DD in China time. */
  @PrimaryColumn({ type: 'varchar', length: 10 }) day: string;
  @PrimaryColumn({ name: 'visitor_id', type: 'varchar', length: 64 }) visitorId: string;
  @Column(timestampColumn('first_seen_at')) firstSeenAt: Date;
}

/**
 * A consumer's consent, in force now, to show their phone number whole to one shop owner (docs/shop-owners.md
 * § Privacy): one row per consumer and shop, changed in the same transaction as the event that records the change.
 */
@Entity('shop_consents')
export class ShopConsentRow {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @PrimaryColumn({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'boolean' }) share: boolean;
  @Column(timestampColumn('changed_at')) changedAt: Date;
}

/** Every grant and withdrawal of a consent, with its time: inserted, never updated or deleted. */
@Entity('shop_consent_events')
export class ShopConsentEventRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column({ type: 'boolean' }) share: boolean;
  @Column(timestampColumn('at')) at: Date;
}
