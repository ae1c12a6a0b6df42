import { fork } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { CampaignRow } from '../../src/campaigns';
import { openDatabase } from '../../src/platform/database';
import { PledgeRow } from '../../src/pledges';
import { BENCH_OPERATOR, type LoadResult, benchApp, call, freePort, load, startBenchService } from './support';

/**
 * A spike of pledges on one hot campaign over HTTP, on MySQL/MariaDB, with the sandbox confirming
 * deposits; and, in the same run, the same database writes through raw node:http + mysql2 (the
 * baseline). The load comes from a second process.
 */
const REGISTER = path.join(__dirname, '../support/register-ts.js');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const CONSUMERS = 200;

export interface PledgeBenchResult {
  name: string;
  measuredAt: string;
  machine: { cpus: number; cpuModel: string; node: string; database: string };
  connections: number;
  seconds: number;
  baseline: Summary;
  service: Summary;
  ratio: number;
  correctness: {
    pledgesInDatabase: number;
    reservedUnits: number;
    acceptedResponses: number;
    inFlightAtStop: number;
    oversold: boolean;
    ledgerReconciles: boolean;
    violations: string[];
  };
}

interface Summary {
  acceptedPerSecond: number;
  requests: number;
  accepted: number;
  refused: number;
  serverErrors: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export async function benchPledges(): Promise<PledgeBenchResult> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const url = new URL(baseUrl);
  url.pathname = '/c2m_bench';
  const databaseUrl = url.toString();
  await recreateDatabase(baseUrl, 'c2m_bench');
  const db = await openDatabase({ kind: 'mysql', url: databaseUrl }, entities, migrations);
  await db.migrate();

  // The baseline writes into its own campaign row of the same schema.
  const app = benchApp(db, databaseUrl, { SANDBOX_AUTO_CONFIRM: 'false' });
  const factory = await app.services.factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  const baselineCampaign = await app.services.campaigns.create(campaignInput(factory.id));
  await app.services.campaigns.publish(baselineCampaign.id);

  console.error(`baseline: raw node:http + mysql2, ${CONNECTIONS} connections, ${SECONDS} s`);
  const baselinePort = await freePort();
  const baseline = fork(path.join(__dirname, 'baseline-server.ts'), [], {
    execArgv: ['-r', REGISTER],
    env: { ...process.env, PORT: String(baselinePort), BENCH_DATABASE_URL: databaseUrl, BASELINE_CAMPAIGN_ID: baselineCampaign.id },
  });
  await once(baseline, 'message');
  const raw = (durationSeconds: number) => spike(`http://127.0.0.1:${baselinePort}`, '/pledge', [undefined], durationSeconds);
  await raw(WARMUP_SECONDS);
  const baselineRun = await raw(SECONDS);
  baseline.kill('SIGTERM');

  console.error(`service: Express + TypeORM, the real pledge route, sandbox auto-confirm, ${CONNECTIONS} connections, ${SECONDS} s`);
  const service = await startBenchService(databaseUrl);
  try {
    const { api } = service;
    const token = await call('POST', `${api}/v1/auth/login`, BENCH_OPERATOR).then((r) => r.token as string);
    const campaign = (await call('POST', `${api}/v1/campaigns`, campaignBody(factory.id), token)) as { id: string };
    await call('POST', `${api}/v1/campaigns/${campaign.id}/publish`, {}, token);
    const tokens: string[] = [];
    for (let i = 0; i < CONSUMERS; i += 20) {
      tokens.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            call('POST', `${api}/v1/auth/register`, { email: `bench-${i + j}@example.com`, password: 'bench consumer password' }).then(
              (r) => r.token as string,
            ),
          ),
        )),
      );
    }
    const target = `/v1/campaigns/${campaign.id}/pledges`;
    const warm = await spike(api, target, tokens, WARMUP_SECONDS);
    const serviceRun = await spike(api, target, tokens, SECONDS);

    // Correctness after the spike, once the sandbox has confirmed every deposit: every accepted pledge is
    // in the database and holds exactly its units, and the ledger reconciles (each read in one snapshot).
    console.error('waiting for the sandbox to confirm every deposit, then checking');
    await waitUntilConfirmed(db, campaign.id, 180_000);
    const { pledgesInDatabase, reservedUnits } = await db.transaction(async (tx) => ({
      pledgesInDatabase: await tx.countBy(PledgeRow, { campaignId: campaign.id }),
      reservedUnits: (await tx.findOneByOrFail(CampaignRow, { id: campaign.id })).reservedUnits,
    }));
    const acceptedResponses = (warm.statuses['201'] ?? 0) + (serviceRun.statuses['201'] ?? 0);
    const report = await app.reconcile();
    const baselineSummary = summarise(baselineRun);
    const serviceSummary = summarise(serviceRun);
    return {
      name: 'pledges',
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, database: await serverVersion(db) },
      connections: CONNECTIONS,
      seconds: SECONDS,
      baseline: baselineSummary,
      service: serviceSummary,
      ratio: Math.round((serviceSummary.acceptedPerSecond / baselineSummary.acceptedPerSecond) * 100) / 100,
      // The load generator stops twice (after the warm-up and after the run) with up to one request in flight
      // per connection; those may commit after their client stopped listening. So the database may hold up to
      // 2 × connections more pledges than 201s were counted: never fewer, never more, never more units than pledges.
      correctness: {
        pledgesInDatabase,
        reservedUnits,
        acceptedResponses,
        inFlightAtStop: pledgesInDatabase - acceptedResponses,
        oversold: reservedUnits !== pledgesInDatabase || pledgesInDatabase < acceptedResponses || pledgesInDatabase - acceptedResponses > 2 * CONNECTIONS,
        ledgerReconciles: report.ok,
        violations: report.violations,
      },
    };
  } finally {
    await service.stop();
    await db.close();
  }
}

export function campaignBody(factoryId: string) {
  const now = Date.now();
  return {
    factoryId,
    title: 'Bench: hot campaign',
    productName: 'Down jacket',
    options: [
      { name: 'colour', values: ['black', 'navy'] },
      { name: 'size', values: ['M', 'L'] },
    ],
    referencePrice: '1000.00',
    depositRate: '0.10',
    tiers: [
      { minUnits: 500, unitPrice: '900.00' },
      { minUnits: 1000, unitPrice: '700.00' },
    ],
    maxUnits: 5_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 86_400_000).toISOString(),
    balanceWindowHours: 72,
    expectedShipDate: new Date(now + 30 * 86_400_000).toISOString().slice(0, 10),
  };
}

function campaignInput(factoryId: string) {
  const b = campaignBody(factoryId);
  return { ...b, description: '', depositCreditRate: '1', opensAt: new Date(b.opensAt), closesAt: new Date(b.closesAt) };
}

/** Every request a new pledge of one unit, from CONNECTIONS connections, cycling through the tokens. */
async function spike(base: string, pledgePath: string, tokens: (string | undefined)[], durationSeconds: number): Promise<LoadResult> {
  const body = JSON.stringify({ variant: { colour: 'black', size: 'M' }, quantity: 1 });
  const requests = tokens.map((token) => ({ method: 'POST' as const, path: pledgePath, token, body }));
  return (await load({ base, durationSeconds, scenarios: [{ name: 'pledges', connections: CONNECTIONS, requests }] })).pledges;
}

function summarise(run: LoadResult): Summary {
  const accepted = run.statuses['201'] ?? 0;
  const serverErrors = Object.entries(run.statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
  return {
    acceptedPerSecond: Math.round(accepted / run.durationSeconds),
    requests: run.requests,
    accepted,
    refused: run.requests - accepted - serverErrors,
    serverErrors: serverErrors + run.errors,
    latencyMs: run.latencyMs,
  };
}

async function waitUntilConfirmed(db: Awaited<ReturnType<typeof openDatabase>>, campaignId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await db.read((tx) => tx.countBy(PledgeRow, { campaignId, status: 'awaiting_deposit' }))) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function recreateDatabase(baseUrl: string, name: string): Promise<void> {
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
}

async function serverVersion(db: Awaited<ReturnType<typeof openDatabase>>): Promise<string> {
  const [row] = (await db.read((tx) => tx.query('SELECT VERSION() AS v'))) as { v: string }[];
  return row.v;
}
