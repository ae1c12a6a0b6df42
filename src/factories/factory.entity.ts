import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';

export type FactoryKind = 'manufacturer' | 'orchard';

/** A partner factory of the 厂牌500 programme. Orchards that supply fruit are factories too. */
@Entity('factories')
export class FactoryRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 16 }) kind: FactoryKind;
  @Column({ name: 'contact_email', type: 'varchar', length: 254 }) contactEmail: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/** A machine credential of one factory. Only a hash of the secret is kept; the secret is shown once. */
@Entity('factory_api_keys')
export class FactoryApiKeyRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ type: 'varchar', length: 100 }) name: string;
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 }) secretHash: string;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('revoked_at', { nullable: true })) revokedAt: Date | null;
}

/**
 * Where a factory wants its forecast batches pushed, and the secret they are signed with (sealed: see
 * SecretBox). After a rotation the previous secret keeps signing alongside the new one for a grace period.
 */
@Entity('factory_webhooks')
export class FactoryWebhookRow {
  @PrimaryColumn({ name: 'factory_id', type: 'varchar', length: 36 }) factoryId: string;
  @Column({ type: 'varchar', length: 2000 }) url: string;
  @Column({ name: 'secret_sealed', type: 'varchar', length: 255 }) secretSealed: string;
  @Column({ name: 'previous_secret_sealed', type: 'varchar', length: 255, nullable: true }) previousSecretSealed: string | null;
  @Column(timestampColumn('secret_rotated_at')) secretRotatedAt: Date;
  @Column(timestampColumn('updated_at')) updatedAt: Date;
}
