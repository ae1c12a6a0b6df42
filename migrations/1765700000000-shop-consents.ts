import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Consents to show a consumer's phone number whole to a shop owner (PIPL, docs/shop-owners.md § Privacy):
 * `shop_consents` is the state in force per consumer and shop; `shop_consent_events` records every grant
 * and withdrawal with its time and is only ever inserted into. No row: never consented (masked).
 */
export class ShopConsents1765700000000 implements MigrationInterface {
  name = 'ShopConsents1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'shop_consents',
        columns: [
          { ...col.ref('user_id'), isPrimary: true },
          { ...col.ref('shop_id'), isPrimary: true },
          col.bool('share', false),
          col.timestamp('changed_at'),
        ],
        indices: [new TableIndex({ name: 'ix_shop_consents_shop', columnNames: ['shop_id', 'user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'shop_consent_events',
        columns: [col.id(), col.ref('user_id'), col.ref('shop_id'), col.bool('share', false), col.timestamp('at')],
        indices: [new TableIndex({ name: 'ix_shop_consent_events_user', columnNames: ['user_id', 'at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('shop_consent_events', true);
    await q.dropTable('shop_consents', true);
  }
}
