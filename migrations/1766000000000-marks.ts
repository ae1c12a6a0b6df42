import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * 红黑榜 (docs/selection.md § 红黑榜). `mark_subjects`: one row per kind and key (unique), made by the first mark;
 * `marks`: one per subject and shop owner (the primary key, which an upsert relies on); `markers`: each marking shop
 * owner's account date and since when they are active, what decides whether their marks count (joined by user).
 */
export class Marks1766000000000 implements MigrationInterface {
  name = 'Marks1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'mark_subjects',
        columns: [
          col.id(),
          col.text('kind', 16),
          col.text('subject_key', 128),
          col.text('label', 200),
          col.ref('factory_id', true),
          col.text('answer', 1000, true),
          col.timestamp('answered_at', true),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_mark_subjects_key', columnNames: ['kind', 'subject_key'], isUnique: true }),
          new TableIndex({ name: 'ix_mark_subjects_factory', columnNames: ['factory_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'marks',
        columns: [
          { ...col.ref('subject_id'), isPrimary: true },
          { ...col.ref('user_id'), isPrimary: true },
          col.text('color', 8),
          col.text('reason', 500),
          col.timestamp('marked_at'),
        ],
        indices: [new TableIndex({ name: 'ix_marks_user', columnNames: ['user_id', 'marked_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'markers',
        columns: [{ ...col.ref('user_id'), isPrimary: true }, col.ref('shop_id'), col.timestamp('account_created_at'), col.timestamp('active_since', true)],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('markers', true);
    await q.dropTable('marks', true);
    await q.dropTable('mark_subjects', true);
  }
}
