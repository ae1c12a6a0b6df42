import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { openDatabase } from '../../src/platform/database';
import { PledgeRow } from '../../src/pledges';
import { freshDatabase } from '../support/database';
import { runCli, startService, type RunningService } from '../support/process';

/**
 * A burst of pledges at the service as it starts by default (the embedded SQLite unless the suite runs
 * on MariaDB): 1,500 connections opened at once, each sending one pledge. Every connection gets an HTTP
 * answer (a pledge, a clear refusal, or "overloaded, retry after"), none is reset, and the pledges the
 * clients were told about are exactly those in the database, within the cap.
 */
const CONNECTIONS = 1500;
const CONSUMERS = 30;
const CAP = 1000;
const OPERATOR = { email: 'spike-operator@example.com', password: 'a strong operator password' };

let env: Record<string, string>;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let service: RunningService | undefined;

beforeAll(async () => {
  database = await freshDatabase();
  env = {
    DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'c2m-spike-')), 'data'),
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_ITERATIONS: '1',
    SEED_DEMO_DATA: 'false',
    // The per-account and per-address limits would answer most of the burst with a cheap 429: the burst
    // is to reach the pledge itself.
    PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '100000',
    PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '100000',
    BOOTSTRAP_OPERATOR_EMAIL: OPERATOR.email,
    BOOTSTRAP_OPERATOR_PASSWORD: OPERATOR.password,
    ...(database.config.kind === 'mysql' ? { DATABASE_URL: database.config.url } : {}),
  };
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await service?.exited;
  await database.drop();
});

interface Answer {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: { code?: string; id?: string; quantity?: number };
}

/** One request on a connection of its own; a reset or a hang-up is an error, not an answer. */
function request(url: string, method: string, headers: Record<string, string>, body: unknown, agent: http.Agent): Promise<Answer | { error: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const contentType = String(res.headers['content-type'] ?? '');
          resolve({
            status: res.statusCode ?? 0,
            contentType,
            retryAfter: res.headers['retry-after'],
            body: contentType.includes('json') ? JSON.parse(text) : { text },
          });
        });
        res.on('error', (error) => resolve({ error: String((error as NodeJS.ErrnoException).code ?? error.message) }));
      },
    );
    req.on('error', (error) => resolve({ error: String((error as NodeJS.ErrnoException).code ?? error.message) }));
    req.end(payload);
  });
}

test(`${CONNECTIONS} pledges on ${CONNECTIONS} connections at once: every one answered, none reset, no oversell`, async () => {
  service = await startService(env);
  const setup = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const call = async (method: string, route: string, body?: unknown, token?: string) => {
    const answer = await request(`${service!.url}${route}`, method, token ? { Authorization: `Bearer ${token}` } : {}, body, setup);
    if ('error' in answer || answer.status >= 300) throw new Error(`${method} ${route}: ${JSON.stringify(answer)}`);
    return answer.body as Record<string, any>;
  };
  const operator = (await call('POST', '/v1/auth/login', OPERATOR)).token as string;
  const factory = await call('POST', '/v1/factories', { name: 'Spike factory', kind: 'manufacturer', contactEmail: 'spike@example.com' }, operator);
  const now = Date.now();
  const campaign = await call(
    'POST',
    '/v1/campaigns',
    {
      factoryId: factory.id,
      title: 'Spike campaign',
      productName: 'Down jacket',
      options: [{ name: 'size', values: ['M', 'L'] }],
      referencePrice: '999.99',
      depositRate: '0.10',
      tiers: [{ minUnits: 10, unitPrice: '899.00' }],
      maxUnits: CAP,
      opensAt: new Date(now - 60_000).toISOString(),
      closesAt: new Date(now + 3600_000).toISOString(),
      balanceWindowHours: 48,
      expectedShipDate: new Date(now + 60 * 86_400_000).toISOString().slice(0, 10),
    },
    operator,
  );
  await call('POST', `/v1/campaigns/${campaign.id}/publish`, {}, operator);
  const tokens: string[] = [];
  for (let i = 0; i < CONSUMERS; i++)
    tokens.push((await call('POST', '/v1/auth/register', { email: `spike-${i}@example.com`, password: 'correct horse battery' })).token as string);
  setup.destroy();

  // Every request on a connection of its own, all opened before any is answered.
  const burst = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const answers = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) =>
      request(
        `${service!.url}/v1/campaigns/${campaign.id}/pledges`,
        'POST',
        { Authorization: `Bearer ${tokens[i % CONSUMERS]}`, 'Idempotency-Key': randomUUID() },
        { variant: { size: 'M' }, quantity: 1 },
        burst,
      ),
    ),
  );
  burst.destroy();

  const unanswered = answers.filter((a): a is { error: string } => 'error' in a);
  const answered = answers.filter((a): a is Answer => !('error' in a));
  const tally = answered.reduce<Record<string, number>>(
    (all, a) => ({ ...all, [`${a.status} ${a.body.code ?? ''}`.trim()]: (all[`${a.status} ${a.body.code ?? ''}`.trim()] ?? 0) + 1 }),
    {},
  );
  console.log(
    `spike: ${JSON.stringify(tally)}, ${unanswered.length} without an answer${unanswered.length ? ` (${[...new Set(unanswered.map((u) => u.error))].join(', ')})` : ''}`,
  );
  expect(unanswered).toEqual([]);
  // A pledge, sold out, or a fast "overloaded: retry after": each a problem+json a client can act on.
  const refusals = answered.filter((a) => a.status !== 201);
  for (const a of refusals)
    expect({ status: a.status, code: a.body.code, contentType: a.contentType }).toEqual({
      status: expect.any(Number),
      code: expect.any(String),
      contentType: expect.stringContaining('application/problem+json'),
    });
  expect(Object.keys(tally).filter((k) => !['201', '409 campaign_sold_out', '503 overloaded'].includes(k))).toEqual([]);
  for (const a of refusals.filter((r) => r.status === 503)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
  const accepted = answered.filter((a) => a.status === 201);
  expect(accepted.length).toBeGreaterThan(0);

  service.child.kill('SIGTERM');
  expect(await service.exited).toBe(0);
  // The database holds exactly the pledges the clients were told about, within the cap, and the ledger reconciles.
  const db = await openDatabase(
    database.config.kind === 'sqlite' ? { kind: 'sqlite', file: path.join(env.DATA_DIR, 'c2m.sqlite') } : database.config,
    entities,
    migrations,
  );
  try {
    const pledges = await db.read((tx) => tx.findBy(PledgeRow, { campaignId: campaign.id as string }));
    expect(pledges.map((p) => p.id).sort()).toEqual(accepted.map((a) => a.body.id).sort());
    expect(pledges.reduce((units, p) => units + p.quantity, 0)).toBeLessThanOrEqual(CAP);
  } finally {
    await db.close();
  }
  expect(await runCli(['reconcile'], env)).toMatchObject({ code: 0 });
}, 300_000);
