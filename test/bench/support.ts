import os from 'node:os';
import { createConnection } from 'mysql2/promise';
import { migrations } from '../../migrations';
import { type App, buildApp, entities } from '../../src/app';
import { type Clock, systemClock } from '../../src/platform/clock';
import { type Config, parseConfig } from '../../src/platform/config';
import { type Database, openDatabase } from '../../src/platform/database';
import { createLogger } from '../../src/platform/logger';

/** What every benchmark reports about where it ran. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  database: string;
}

/** A fresh, migrated MariaDB database of the given name, next to BENCH_DATABASE_URL's (default: the local `test`). */
export async function benchDatabase(name: string): Promise<{ db: Database; url: string; machine: Machine }> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const u = new URL(baseUrl);
  const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'mysql', url: u.toString() }, entities, migrations);
  await db.migrate();
  const [row] = (await db.read((tx) => tx.query('SELECT VERSION() AS v'))) as { v: string }[];
  const cpus = os.cpus();
  return {
    db,
    url: u.toString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, database: row.v },
  };
}

/** The service on a bench database, silent, with no job worker of its own; `env` adds configuration. */
export function benchApp(db: Database, url: string, env: Record<string, string> = {}, clock: Clock = systemClock): App & { config: Config } {
  const config = parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, SEED_DEMO_DATA: 'false', ...env });
  const app = buildApp({ config, db, logger: createLogger('silent'), clock, secrets: { auth: 'bench-auth-secret-0123456789-0123456789', sandbox: 'bench-sandbox-secret-0123456789-012345' }, runsWorker: false });
  return { ...app, config };
}

/** Runs `fn` `times` times in a row; returns the latencies (ms) sorted. */
export async function timeRepeated(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

/** The value at percentile p (0–100) of sorted values, rounded to 0.1. */
export function percentile(sorted: readonly number[], p: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return Math.round(value * 10) / 10;
}
