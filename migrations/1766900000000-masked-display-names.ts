import type { MigrationInterface, QueryRunner } from 'typeorm';
import { maskEmail } from '../src/accounts/masking';

const PAGE = 1000;

/**
 * Consumers who signed up by email without a display name were named by their email's local part, which operators'
 * money desk showed beside the masked contact (and which is often the phone or QQ number itself). New accounts are
 * named by the masked email (account.service.ts, defaultDisplayName); this gives accounts made before the same name,
 * where their name is still that default. A name the consumer chose is kept. Read a page at a time, by id.
 */
export class MaskedDisplayNames1766900000000 implements MigrationInterface {
  name = 'MaskedDisplayNames1766900000000';

  async up(q: QueryRunner): Promise<void> {
    for (let after = ''; ;) {
      const rows = (await q.query(
        `SELECT id, email, display_name FROM users WHERE role = 'consumer' AND email IS NOT NULL AND id > ? ORDER BY id LIMIT ${PAGE}`,
        [after],
      )) as { id: string; email: string; display_name: string }[];
      for (const row of rows) {
        const local = row.email.slice(0, row.email.lastIndexOf('@'));
        if (row.display_name === local)
          await q.query('UPDATE users SET display_name = ? WHERE id = ?', [[...maskEmail(row.email)].slice(0, 100).join(''), row.id]);
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  async down(): Promise<void> {
    // The names it replaced were the emails' local parts: nothing to put back that the emails do not hold.
  }
}
