import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/platform/config';

/** `TEST_DATABASE_URL=mysql://…` runs the suite on MySQL/MariaDB; unset, on SQLite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const dialectUnderTest = TEST_DATABASE_URL ? 'mysql' : 'sqlite';

/**
 * A clean, empty database for one test file. SQLite: a new file. MySQL: a schema of its own
 * (`<database>_run<run>_<worker>_<random>`), dropped and recreated, so parallel jest workers never meet; one a test
 * leaves behind (a failed or killed test that never called `drop`) goes with the run's (dropRunSchemas).
 */
export async function freshDatabase(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const run = process.env[TEST_RUN];
  const suffix = `${run ? `run${run}_` : ''}${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(3).toString('hex')}`;
  if (!TEST_DATABASE_URL) {
    const dir = path.join(tmpdir(), 'c2m-tests');
    mkdirSync(dir, { recursive: true });
    return { config: { kind: 'sqlite', file: path.join(dir, `test_${process.pid}_${suffix}.sqlite`) }, drop: async () => {} };
  }
  const name = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_${suffix}`;
  await onServer(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  });
  return { config: mysqlConfig(name), drop: () => onServer(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS \`${name}\``))) };
}

/** Whether this test file holds its worker's reusable schema (jest loads this module anew for each file). */
let holdingReusable = false;

/**
 * An empty database for a test app, as `freshDatabase` but faster on MySQL: each jest worker keeps one schema
 * for the run, and a test file after the first finds it migrated with every row deleted. Creating and migrating
 * a schema (60 tables) took 1.5 s on an idle MariaDB and several seconds under the suite's load, for every file.
 * A file that needs a second database at once, or one it migrates itself, gets a fresh one.
 */
export async function emptiedDatabase(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const run = process.env[TEST_RUN];
  if (!TEST_DATABASE_URL || !run || holdingReusable) return freshDatabase();
  const name = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_run${run}_w${process.env.JEST_WORKER_ID ?? '0'}`;
  await onServer(async (admin) => {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [tables] = (await admin.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> 'migrations'",
      [name],
    )) as unknown as [{ name: string }[]];
    // One transaction, foreign keys unchecked: the order of the deletes does not matter.
    await admin.query('SET FOREIGN_KEY_CHECKS = 0');
    await admin.beginTransaction();
    for (const table of tables) await admin.query(`DELETE FROM \`${name}\`.\`${table.name}\``);
    await admin.commit();
  });
  holdingReusable = true;
  return { config: mysqlConfig(name), drop: async () => void (holdingReusable = false) };
}

/** The environment variable naming this test run (set by test/support/global-setup.ts): the reusable schemas carry it. */
export const TEST_RUN = 'C2M_TEST_RUN';

/** Drops every schema of a run, reusable or fresh (jest's global teardown). */
export async function dropRunSchemas(run: string): Promise<void> {
  if (!TEST_DATABASE_URL) return;
  const prefix = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_run${run}_`;
  await onServer(async (admin) => {
    const [schemas] = (await admin.query('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?', [
      `${prefix.replace(/_/g, '\\_')}%`,
    ])) as unknown as [{ name: string }[]];
    for (const schema of schemas) await admin.query(`DROP DATABASE IF EXISTS \`${schema.name}\``);
  });
}

function mysqlConfig(schema: string): DatabaseConfig {
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${schema}`;
  return { kind: 'mysql', url: url.toString() };
}

/** Runs `work` on a connection to the test server (no schema selected), closed afterwards. */
async function onServer<T>(work: (admin: Connection) => Promise<T>): Promise<T> {
  const url = new URL(TEST_DATABASE_URL!);
  const admin = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
