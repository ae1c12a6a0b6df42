import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** Accounts, factories and their API keys, idempotency keys, and the job table agenda runs on. */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'factories',
        columns: [col.id(), col.text('name', 200), col.text('kind', 16), col.text('contact_email', 254), col.timestamp('created_at')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          col.id(),
          col.text('email', 254),
          col.text('password_hash', 255),
          col.text('role', 16),
          col.ref('factory_id', true),
          col.text('display_name', 100),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_users_email', columnNames: ['email'], isUnique: true }),
          new TableIndex({ name: 'ix_users_factory', columnNames: ['factory_id'] }),
        ],
        foreignKeys: [{ name: 'fk_users_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'factory_api_keys',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.text('name', 100),
          col.text('secret_hash', 64),
          col.timestamp('created_at'),
          col.timestamp('revoked_at', true),
        ],
        indices: [new TableIndex({ name: 'ix_factory_api_keys_factory', columnNames: ['factory_id'] })],
        foreignKeys: [{ name: 'fk_factory_api_keys_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          col.id(),
          col.text('subject', 100),
          col.text('idem_key', 255),
          col.text('request_hash', 64),
          col.text('state', 16),
          col.int('response_status', { nullable: true }),
          col.longText('response_body', true),
          col.timestamp('locked_at'),
          col.timestamp('created_at'),
          col.timestamp('expires_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_idempotency_keys_subject_key', columnNames: ['subject', 'idem_key'], isUnique: true }),
          new TableIndex({ name: 'ix_idempotency_keys_expires', columnNames: ['expires_at'] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'jobs',
        columns: [
          col.id(),
          col.text('name', 200),
          col.int('priority', { default: 0 }),
          col.timestamp('next_run_at', true),
          col.text('type', 16),
          col.text('dedupe_key', 255, true),
          col.timestamp('locked_at', true),
          col.timestamp('last_run_at', true),
          col.timestamp('last_finished_at', true),
          col.timestamp('failed_at', true),
          col.int('fail_count', { default: 0 }),
          col.longText('fail_reason', true),
          col.text('repeat_interval', 200, true),
          col.text('repeat_timezone', 64, true),
          col.text('repeat_at', 64, true),
          col.longText('data', true),
          col.bool('disabled', false),
          { name: 'progress', type: 'float', isNullable: true },
          col.text('last_modified_by', 200, true),
          col.timestamp('created_at'),
        ],
        indices: [
          // NULLs never collide, so only recurring and keyed jobs are unique.
          new TableIndex({ name: 'uq_jobs_dedupe_key', columnNames: ['dedupe_key'], isUnique: true }),
          new TableIndex({ name: 'ix_jobs_claim', columnNames: ['name', 'next_run_at'] }),
          new TableIndex({ name: 'ix_jobs_locked', columnNames: ['locked_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['jobs', 'idempotency_keys', 'factory_api_keys', 'factories', 'users']) await q.dropTable(table, true);
  }
}
