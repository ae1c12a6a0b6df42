import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/platform/config';

/** `TEST_DATABASE_URL=mysql://…` runs the suite on MySQL/MariaDB; unset, on SQLite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const dialectUnderTest = TEST_DATABASE_URL ? 'mysql' : 'sqlite';

/**
 * A clean, empty database for one test file. SQLite: a new file. MySQL: a schema of its own
 * (`<database>_<worker>_<random>`), dropped and recreated, so parallel jest workers never meet.
 */
export async function freshDatabase(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const suffix = `${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(3).toString('hex')}`;
  if (!TEST_DATABASE_URL) {
    const dir = path.join(tmpdir(), 'c2m-tests');
    mkdirSync(dir, { recursive: true });
    return { config: { kind: 'sqlite', file: path.join(dir, `test_${process.pid}_${suffix}.sqlite`) }, drop: async () => {} };
  }
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${suffix}`;
  const admin = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  url.pathname = `/${name}`;
  return {
    config: { kind: 'mysql', url: url.toString() },
    drop: async () => {
      const conn = await createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
