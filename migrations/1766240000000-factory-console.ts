import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * The operator console's factories area (issue #20): a factory's portal user can be disabled (and enabled
 * again); a webhook delivery says whether a person asked for it (redeliver, push now) and, when it failed,
 * why in one word (so screens say it in their user's language). Old failures get their word from their text.
 */
export class FactoryConsole1766240000000 implements MigrationInterface {
  name = 'FactoryConsole1766240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('users', new TableColumn(col.timestamp('disabled_at', true)));
    await q.addColumn('webhook_deliveries', new TableColumn(col.bool('manual', false)));
    await q.addColumn('webhook_deliveries', new TableColumn(col.text('error_kind', 20, true)));
    for (const [kind, prefix] of [
      ['http_status', 'the endpoint answered %'],
      ['timeout', 'no answer within %'],
      ['address_not_public', 'refused: %'],
      ['connect_failed', 'could not connect: %'],
    ]) {
      await q.query('UPDATE webhook_deliveries SET error_kind = ? WHERE error LIKE ?', [kind, prefix]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('webhook_deliveries', 'error_kind');
    await q.dropColumn('webhook_deliveries', 'manual');
    await q.dropColumn('users', 'disabled_at');
  }
}
