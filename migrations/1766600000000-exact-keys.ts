import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Columns whose text tells records apart, with their length (every one NOT NULL). */
const KEY_COLUMNS = [
  ['pledges', 'variant_key', 255],
  ['pledge_tallies', 'variant_key', 255],
  ['forecast_lines', 'variant', 255],
  ['idempotency_keys', 'idem_key', 255],
  ['mark_subjects', 'subject_key', 128],
] as const;

/**
 * Keys are compared exactly on MySQL, as SQLite always did. The tables' collation, utf8mb4_unicode_ci, takes
 * "S" and "s", "Café" and "Cafe", and any two emoji as equal: variants differing so shared one tally row (and
 * one forecast line), two Idempotency-Keys differing in case were one request, and two brands of 红黑榜 one
 * subject. The code already builds these keys in one canonical form (variant keys from the campaign's values,
 * brand names normalised and lower-cased), so an exact comparison is what it means. Binary collation only
 * splits what was merged, so every unique index still holds; rows merged before cannot be told apart again.
 * On MySQL each table is rebuilt: a few seconds per million rows.
 */
export class ExactKeys1766600000000 implements MigrationInterface {
  name = 'ExactKeys1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await collate(q, 'utf8mb4_bin');
  }

  async down(q: QueryRunner): Promise<void> {
    await collate(q, 'utf8mb4_unicode_ci');
  }
}

async function collate(q: QueryRunner, collation: string): Promise<void> {
  if (q.connection.driver.options.type !== 'mysql') return;
  for (const [table, column, length] of KEY_COLUMNS)
    await q.query(`ALTER TABLE ${table} MODIFY ${column} VARCHAR(${length}) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL`);
}
