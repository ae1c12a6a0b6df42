import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * The audit log of operators' actions (docs/operator-console.md § 审计日志): one row per state-changing request by an
 * operator, written before the action and completed with its outcome. Read newest first, by actor, route or subject.
 */
export class AuditLog1766269700000 implements MigrationInterface {
  name = 'AuditLog1766269700000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          col.id(),
          col.ref('actor_user_id'),
          col.text('actor_name', 200),
          col.text('actor_email', 254, true),
          col.timestamp('at'),
          col.text('method', 8),
          col.text('route', 200),
          col.text('subject_id', 200, true),
          col.text('reason', 1000, true),
          col.longText('summary', true),
          col.text('status', 16),
          col.int('http_status', { nullable: true }),
          col.timestamp('completed_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_audit_entries_at', columnNames: ['at'] }),
          new TableIndex({ name: 'ix_audit_entries_actor', columnNames: ['actor_user_id', 'at'] }),
          new TableIndex({ name: 'ix_audit_entries_route', columnNames: ['route', 'at'] }),
          new TableIndex({ name: 'ix_audit_entries_subject', columnNames: ['subject_id', 'at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_entries', true);
  }
}
