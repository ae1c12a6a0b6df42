import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, setNullable } from '../src/platform/database/schema';

/**
 * Sign-in by phone number and a one-time SMS code. Consumers who sign up by phone have a phone
 * (E.164, unique) and neither email nor password, so both become nullable (NULLs never collide in the
 * unique email index). `phone_codes` holds one live code per phone, hashed, with its expiry, tries and
 * use, and the phone's send counts for its rate limits.
 */
export class PhoneSignIn1764960000000 implements MigrationInterface {
  name = 'PhoneSignIn1764960000000';

  async up(q: QueryRunner): Promise<void> {
    // Only the nullability changes (setNullable: a rebuilt varchar(255) would be emptied on MySQL).
    await setNullable(q, 'users', ['email', 'password_hash'], true);
    await q.addColumn('users', new TableColumn(col.text('phone', 16, true)));
    await q.createIndex('users', new TableIndex({ name: 'uq_users_phone', columnNames: ['phone'], isUnique: true }));

    await q.createTable(
      new Table({
        name: 'phone_codes',
        columns: [
          { ...col.text('phone', 16), isPrimary: true },
          col.text('code_hash', 64),
          col.timestamp('sent_at'),
          col.timestamp('expires_at'),
          col.int('attempts', { default: 0 }),
          col.timestamp('used_at', true),
          col.timestamp('window_started_at'),
          col.int('sent_in_window', { default: 0 }),
        ],
        indices: [new TableIndex({ name: 'ix_phone_codes_sent', columnNames: ['sent_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails while accounts without an email exist (phone-only consumers): they cannot be kept without their phone.
    await q.dropTable('phone_codes', true);
    await q.dropIndex('users', 'uq_users_phone');
    await q.dropColumn('users', 'phone');
    await setNullable(q, 'users', ['email', 'password_hash'], false);
  }
}
