import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrations } from '../../migrations';
import { type App, buildApp, entities } from '../../src/app';
import type { CampaignRow, CampaignService } from '../../src/campaigns';
import type { CreateCampaignInput } from '../../src/campaigns/campaign.schemas';
import { type Clock, systemClock } from '../../src/platform/clock';
import { type Config, parseConfig } from '../../src/platform/config';
import { type Database, openDatabase } from '../../src/platform/database';
import { PLEDGE_STATUSES } from '../../src/pledges/pledge.entity';
import { createLogger } from '../../src/platform/logger';

const REGISTER = path.join(__dirname, '../support/register-ts.js');

/** What every benchmark reports about where it ran. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  database: string;
  /** InnoDB's page cache: a table larger than this is read from disk by every full scan. */
  bufferPoolMiB?: number;
}

/** A fresh, migrated MariaDB database of the given name, next to BENCH_DATABASE_URL's (default: the local `test`). */
export async function benchDatabase(name: string): Promise<{ db: Database; url: string; machine: Machine }> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const u = new URL(baseUrl);
  const conn = await createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'mysql', url: u.toString() }, entities, migrations);
  await db.migrate();
  const [row] = (await db.read((tx) => tx.query('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS pool'))) as { v: string; pool: string }[];
  const cpus = os.cpus();
  return {
    db,
    url: u.toString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      database: row.v,
      bufferPoolMiB: Math.round(Number(row.pool) / 2 ** 20),
    },
  };
}

/** The service on a bench database, silent, with no job worker of its own; `env` adds configuration. */
export function benchApp(db: Database, url: string, env: Record<string, string> = {}, clock: Clock = systemClock): App & { config: Config } {
  const config = parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, SEED_DEMO_DATA: 'false', ...env });
  const app = buildApp({
    config,
    db,
    logger: createLogger('silent'),
    clock,
    secrets: { auth: 'bench-auth-secret-0123456789-0123456789', sandbox: 'bench-sandbox-secret-0123456789-012345' },
    runsWorker: false,
  });
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

/** One kind of request in a load: its connections and the requests they cycle through. */
export interface Scenario {
  name: string;
  connections: number;
  requests: { method: 'GET' | 'POST'; path: string; token?: string; body?: string }[];
}

export interface LoadConfig {
  base: string;
  durationSeconds: number;
  scenarios: Scenario[];
}

export interface LoadResult {
  durationSeconds: number;
  requests: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/** Runs a load from a second process (load-generator.ts), every scenario at once; returns each one's result. */
export function load(config: LoadConfig): Promise<Record<string, LoadResult>> {
  const child: ChildProcess = spawn(process.execPath, ['-r', REGISTER, path.join(__dirname, 'load-generator.ts')], {
    env: { ...process.env, LOAD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, LoadResult>) : reject(new Error(`load generator exited with ${code}`)),
    ),
  );
}

/** The real service (src/main.ts) as its own process, in production mode on `databaseUrl`, with the abuse limits lifted: the load comes from one address. */
export async function startBenchService(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { cpuProfileDir?: string; oldSpaceMiB?: number } = {},
): Promise<{ child: ChildProcess; api: string; startedAt: number; peakRssMiB(): number; cpuMs(): number; stop(): Promise<number> }> {
  const port = await freePort();
  // A CPU profile of the service (node --cpu-prof) when asked for, or when BENCH_PROFILE names a folder for every service's.
  const profileDir = options.cpuProfileDir ?? process.env.BENCH_PROFILE;
  const startedAt = Date.now();
  const child = spawn(
    process.execPath,
    // Node's flags as in production (npm start, docs/operations.md; a heap budget if asked for), then the profile's if any.
    [
      '--max-semi-space-size=64',
      ...(options.oldSpaceMiB ? [`--max-old-space-size=${options.oldSpaceMiB}`] : []),
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '-r',
      REGISTER,
      path.join(__dirname, '../../src/main.ts'),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'warn',
        AUTH_SECRET: 'bench-auth-secret-0123456789-0123456789',
        SANDBOX_SECRET: 'bench-sandbox-secret-0123456789-012345',
        SANDBOX_AUTO_CONFIRM: 'true',
        PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '1000000',
        PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '1000000',
        REGISTER_RATE_LIMIT_PER_15_MIN: '1000000',
        PASSWORD_HASH_MEMORY_KIB: '64',
        PASSWORD_HASH_ITERATIONS: '1',
        BOOTSTRAP_OPERATOR_EMAIL: BENCH_OPERATOR.email,
        BOOTSTRAP_OPERATOR_PASSWORD: BENCH_OPERATOR.password,
        JOBS_POLL_INTERVAL_MS: '500',
        // One service process: its session cache is exact without Redis (docs/operations.md § Replicas).
        SINGLE_REPLICA: 'true',
        METRICS_TOKEN: BENCH_METRICS_TOKEN,
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const api = `http://127.0.0.1:${port}`;
  await waitForHttp(`${api}/readyz`);
  return {
    child,
    api,
    startedAt,
    peakRssMiB: () => peakRssMiB(child.pid),
    cpuMs: () => cpuMs(child.pid!),
    /** Stops the service; resolves to its peak RSS (MiB), which is also kept for the run's report (takeServicePeaksMiB). */
    stop: async () => {
      const peak = child.exitCode === null ? peakRssMiB(child.pid) : 0;
      servicePeaksMiB.push(peak);
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      return peak;
    },
  };
}

const servicePeaksMiB: number[] = [];

/**
 * The peak resident memory (MiB) of the processes that did a benchmark's work, added to every result by run.ts:
 * the bench process (seeding, and the service itself for the benchmarks that run it in process) and the largest
 * service process it started (startBenchService), if any. The load generator is the client and is not counted.
 */
export interface PeakRss {
  benchProcess: number;
  service?: number;
}

/** The peak RSS (MiB) of each service process stopped since the last call (run.ts: one benchmark's), and forgets them. */
export function takeServicePeaksMiB(): number[] {
  return servicePeaksMiB.splice(0);
}

/** A process's peak resident memory so far in MiB (Linux: VmHWM), by default this one's. */
export function peakRssMiB(pid = process.pid): number {
  const kib = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round(kib / 1024);
}

/** The CPU time (user + system, ms) a process has used so far (Linux: /proc/PID/stat), by default this one's. */
export function cpuMs(pid = process.pid): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime, fields 14 and 15 of stat, in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A process's resident memory now in MiB (Linux: VmRSS), by default this one's. */
export function rssMiB(pid = process.pid): number {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round(kib / 1024);
}

/**
 * Starts a new peak: the kernel sets a process's VmHWM back to its RSS now (/proc/PID/clear_refs, "5"), so
 * a benchmark measuring several sizes in one process reports each size's own peak, not the largest so far.
 */
export function resetPeakRss(pid = process.pid): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789-0123456789';

/** The service's Prometheus counters (GET /metrics), by name: the unlabelled ones, as numbers. */
export async function serviceCounters(api: string): Promise<Map<string, number>> {
  const res = await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const counters = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_]+) ([0-9.e+]+)$/.exec(line);
    if (m) counters.set(m[1], Number(m[2]));
  }
  return counters;
}

export const BENCH_OPERATOR = { email: 'bench-operator@example.com', password: 'bench operator password' };

/** A JSON request that must succeed; returns the body. */
export async function call(method: 'GET' | 'POST', url: string, body?: object, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The benchmarks' campaign, published: a down jacket at ¥1,000 with a 10% deposit and a 72-hour balance
 * window, with the options, tiers, cap and window each benchmark needs.
 */
export async function aBenchCampaign(
  campaigns: CampaignService,
  input: Pick<CreateCampaignInput, 'factoryId' | 'title' | 'options' | 'tiers' | 'opensAt' | 'closesAt' | 'expectedShipDate' | 'maxUnits'>,
): Promise<CampaignRow> {
  const campaign = await campaigns.create({
    productName: 'Down jacket',
    description: '',
    referencePrice: '1000.00',
    depositRate: '0.10',
    depositCreditRate: '1',
    balanceWindowHours: 72,
    ...input,
  });
  await campaigns.publish(campaign.id);
  return campaign;
}

// China has no daylight saving: a fixed +08:00 is Asia/Shanghai. Seeded deposits are paid on the day of the pledge.
export const DAYS_SQL = `SELECT campaign_id, DATE_FORMAT(CONVERT_TZ(created_at, '+00:00', '+08:00'), '%Y-%m-%d') AS day, SUM(quantity) AS pledged, COUNT(*) AS pledges,
  SUM(CASE WHEN status IN ('active', 'awaiting_balance', 'paid', 'forfeited', 'refunded') THEN quantity ELSE 0 END) AS paid FROM pledges`;

/**
 * Pledges number `from` to `to` of these campaigns (in turn) and variants, made by MariaDB from a sequence table (INSERT … SELECT: 10M in minutes,
 * where rows sent from here took 89 s a million), then added to the running tallies. Each batch spreads
 * over the last 20 days in order of its numbers, and its pledgers follow the numbers too (20 pledges each):
 * the rows then arrive in the order of the time and pledger indexes, whose pages stay in the database's
 * small buffer pool; in random order each insert read a page from disk and a million took minutes. Status,
 * quantity and variant come from a hash of the number: every run seeds the same data, mostly paid, some
 * cancelled or expired, the last 15 minutes awaiting deposit, popular variants selling more.
 */
export async function seedPledges(
  db: Database,
  { campaignIds, variants, from, to, now }: { campaignIds: readonly string[]; variants: readonly string[]; from: number; to: number; now: number },
): Promise<void> {
  const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
  const unit = (salt: string) => `(CRC32(CONCAT('${salt}', seq)) / 4294967296)`;
  const id = (seq: string | number, kind: number) => `CONCAT('00000000-0000-4000-${kind}000-', LPAD(HEX(${seq}), 12, '0'))`;
  const CHUNK = 250_000;
  for (let first = from; first <= to; first += CHUNK) {
    const last = Math.min(to, first + CHUNK - 1);
    await db.statement((tx) =>
      tx.query(`INSERT INTO pledges (id, campaign_id, user_id, variant_key, quantity, status, deposit_per_unit_fen, deposit_fen, deposit_payment_id, expires_at, created_at, updated_at)
        SELECT ${id('seq', 8)}, ELT(1 + seq % ${campaignIds.length}, ${list(campaignIds)}), CONCAT('u-', LPAD(FLOOR(seq / 20), 10, '0')),
          ELT(1 + FLOOR(POW(${unit('v')}, 2) * ${variants.length}), ${list(variants)}), quantity,
          CASE WHEN age < 900 THEN 'awaiting_deposit' WHEN roll < 0.9 THEN 'active' WHEN roll < 0.96 THEN 'cancelled' ELSE 'expired' END,
          10000, 10000 * quantity, ${id('seq', 9)}, created + INTERVAL 15 MINUTE, created, created
        FROM (SELECT seq, 1 + FLOOR(${unit('q')} * 2) AS quantity, ${unit('r')} AS roll, age, FROM_UNIXTIME(${Math.floor(now / 1000)}) - INTERVAL age SECOND AS created
          FROM (SELECT seq, FLOOR((${to} - seq) / ${to - from + 1} * 20 * 86400) AS age FROM seq_${first}_to_${last}) AS numbered) AS s`),
    );
  }
  const added = (counters: string[]) => counters.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ');
  const range = `WHERE id BETWEEN ${id(from, 8)} AND ${id(to, 8)}`;
  const units = PLEDGE_STATUSES.map((s) => `${s}_units`);
  await db.statement((tx) =>
    tx.query(
      `INSERT INTO pledge_tallies (campaign_id, variant_key, ${units.join(', ')})
       SELECT campaign_id, variant_key, ${PLEDGE_STATUSES.map((s) => `SUM(CASE WHEN status = '${s}' THEN quantity ELSE 0 END)`).join(', ')} FROM pledges ${range}
       GROUP BY campaign_id, variant_key ON DUPLICATE KEY UPDATE ${added(units)}`,
    ),
  );
  await db.statement((tx) =>
    tx.query(
      `INSERT INTO pledge_days (campaign_id, day, pledged_units, pledges, deposit_paid_units) ${DAYS_SQL} ${range} GROUP BY campaign_id, day
       ON DUPLICATE KEY UPDATE ${added(['pledged_units', 'pledges', 'deposit_paid_units'])}`,
    ),
  );
}

/**
 * Waits until InnoDB has written out most of the pages the last run dirtied (at most `maxMs`), so that a run does not
 * pay for the flushing of the one before it: each server of a comparison starts from the same quiet database.
 */
export async function settleDatabase(db: Database, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const { rows } = await db.read((tx) =>
      db.sql<{ Variable_name: string; Value: string }>(
        tx,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')",
      ),
    );
    const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
    if (value('Innodb_buffer_pool_pages_dirty') <= value('Innodb_buffer_pool_pages_total') * 0.02 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Grows InnoDB's buffer pool to at least `mib` (MariaDB resizes it online) and waits for the resize: docs/operations.md
 * says to size it to hold the hot indexes, and MariaDB's default of 128 MiB is outgrown by a few hundred thousand
 * pledges' random-key inserts. The pool stays at that size until the server restarts. Returns the size in MiB.
 */
export async function ensureBufferPool(db: Database, mib: number): Promise<number> {
  const size = async () => Number((await db.read((tx) => db.sql<{ pool: string }>(tx, 'SELECT @@innodb_buffer_pool_size AS pool'))).rows[0].pool) / 2 ** 20;
  if ((await size()) < mib) {
    try {
      await db.read((tx) => db.sql(tx, `SET GLOBAL innodb_buffer_pool_size = ${Math.round(mib) * 2 ** 20}`));
      for (let waited = 0; (await size()) < mib && waited < 120_000; waited += 500) await new Promise((resolve) => setTimeout(resolve, 500));
    } catch (error) {
      // A server the bench may not configure (no SUPER privilege): measured as it is, and the report says its size.
      console.error(`the buffer pool stays as it is: ${(error as Error).message}`);
    }
  }
  return Math.round(await size());
}

/** The local MariaDB (or MySQL) server's process, whose CPU time the benchmarks read; undefined when there is none. */
export function localDatabasePid(url: string): number | undefined {
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(url).hostname)) return undefined;
  for (const name of ['mariadbd', 'mysqld']) {
    const pid = spawnSync('pgrep', ['-xo', name], { encoding: 'utf8' }).stdout.trim();
    if (pid) return Number(pid);
  }
  return undefined;
}
