import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Shop owners (小B, docs/shop-owners.md): `shops` holds each application and, once approved, the shop
 * (its code, greeting and chosen campaigns and plans). `open_user_id` is the applicant while the
 * application is pending or approved and NULL once refused, so its unique index allows one open
 * application per consumer (NULLs never collide). `shop_bindings` holds the one shop owner a consumer is
 * bound to, until `expires_at`. Pledges and subscriptions record the shop they were attributed to when
 * made; those made before have none (null).
 */
export class ShopOwners1765400000000 implements MigrationInterface {
  name = 'ShopOwners1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'shops',
        columns: [
          col.id(),
          col.ref('user_id'),
          col.ref('open_user_id', true),
          col.text('status', 16),
          col.text('code', 8, true),
          col.text('name', 64),
          col.text('phone', 16),
          col.text('wechat_id', 64),
          col.text('greeting', 500),
          col.longText('campaign_ids'),
          col.longText('plan_ids'),
          col.timestamp('applied_at'),
          col.ref('decided_by', true),
          col.timestamp('decided_at', true),
          col.text('refusal_reason', 500, true),
          col.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_shops_open_user', columnNames: ['open_user_id'], isUnique: true }),
          new TableIndex({ name: 'uq_shops_code', columnNames: ['code'], isUnique: true }),
          new TableIndex({ name: 'ix_shops_status', columnNames: ['status', 'applied_at'] }),
          new TableIndex({ name: 'ix_shops_user', columnNames: ['user_id', 'applied_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'shop_bindings',
        columns: [{ ...col.ref('user_id'), isPrimary: true }, col.ref('shop_id'), col.timestamp('bound_at'), col.timestamp('expires_at')],
        indices: [new TableIndex({ name: 'ix_shop_bindings_shop', columnNames: ['shop_id'] })],
      }),
    );
    await q.addColumn('pledges', new TableColumn(col.ref('shop_id', true)));
    await q.createIndex('pledges', new TableIndex({ name: 'ix_pledges_shop', columnNames: ['shop_id'] }));
    await q.addColumn('subscriptions', new TableColumn(col.ref('shop_id', true)));
    await q.createIndex('subscriptions', new TableIndex({ name: 'ix_subscriptions_shop', columnNames: ['shop_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('subscriptions', 'ix_subscriptions_shop');
    await q.dropColumn('subscriptions', 'shop_id');
    await q.dropIndex('pledges', 'ix_pledges_shop');
    await q.dropColumn('pledges', 'shop_id');
    await q.dropTable('shop_bindings', true);
    await q.dropTable('shops', true);
  }
}
