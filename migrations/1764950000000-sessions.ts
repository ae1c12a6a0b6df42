import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Sign-in sessions: a bearer token is valid only while its session row exists, so signing out or
 * changing a password ends tokens at once on every replica (a signed token alone cannot be taken back).
 */
export class Sessions1764950000000 implements MigrationInterface {
  name = 'Sessions1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [col.id(), col.ref('user_id'), col.timestamp('created_at'), col.timestamp('expires_at')],
        indices: [
          new TableIndex({ name: 'ix_sessions_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_sessions_expires', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [{ name: 'fk_sessions_user', columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('sessions', true);
  }
}
