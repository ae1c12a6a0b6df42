import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Two corrections of what the console shows.
 *
 * 1. A batch's push attempts are numbered 1, 2, 3… once each: two pushes of one batch at once used to read the same
 *    last attempt and log the same number twice (1, 1, 3, 3 on MariaDB), and the console's failing list then looked
 *    for an attempt that did not exist. The numbering now happens under the batch's row lock, and a unique key
 *    (batch_id, attempt) makes a duplicate impossible. Batches that already have a number twice are renumbered 1…n
 *    first, in the order the attempts were numbered (then by time, then by id, so the order is the same on every
 *    run): no attempt is deleted, each keeps its time, status and error, and the newest keeps the highest number.
 *    Batches without a duplicate keep their numbers.
 * 2. An audit entry keeps every path parameter of its route by name (`{"id":…,"keyId":…}`), not only the first:
 *    revoking a key, disabling a user or redelivering a delivery says which one. Entries already written have none
 *    (null): what they did not record cannot be recovered.
 */
export class AttemptNumbersAndAuditParams1766500000000 implements MigrationInterface {
  name = 'AttemptNumbersAndAuditParams1766500000000';

  async up(q: QueryRunner): Promise<void> {
    const duplicated = (await q.query(
      'SELECT batch_id FROM webhook_deliveries GROUP BY batch_id HAVING COUNT(*) > COUNT(DISTINCT attempt) ORDER BY batch_id',
    )) as { batch_id: string }[];
    for (const { batch_id: batchId } of duplicated) {
      const rows = (await q.query('SELECT id FROM webhook_deliveries WHERE batch_id = ? ORDER BY attempt, attempted_at, id', [batchId])) as { id: string }[];
      for (const [i, { id }] of rows.entries()) await q.query('UPDATE webhook_deliveries SET attempt = ? WHERE id = ?', [i + 1, id]);
    }
    await q.createIndex('webhook_deliveries', new TableIndex({ name: 'ux_webhook_deliveries_attempt', columnNames: ['batch_id', 'attempt'], isUnique: true }));
    await q.addColumn('audit_entries', new TableColumn(col.longText('params', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('audit_entries', 'params');
    await q.dropIndex('webhook_deliveries', 'ux_webhook_deliveries_attempt');
  }
}
