import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { DEMO_ACCOUNTS, DEMO_CONSUMER_PHONE } from '../../src/demo/seed';
import { JournalEntryRow, JournalLineRow } from '../../src/ledger';
import { openDatabase } from '../../src/platform/database';
import { parseMoney } from '../../src/platform/money';
import { startTestApp } from '../support/app';
import { freshDatabase, TEST_DATABASE_URL } from '../support/database';
import { logLines, runCli, runServiceToExit, startService, type RunningService } from '../support/process';

/** The service as a user runs it: its own process, a fresh data folder, real signals. */
let dataDir: string;
let env: Record<string, string>;
let drop: () => Promise<void>;
const running: RunningService[] = [];

beforeAll(async () => {
  dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-service-')), 'data');
  const db = await freshDatabase();
  drop = db.drop;
  env = {
    DATA_DIR: dataDir,
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_ITERATIONS: '1',
    ...(TEST_DATABASE_URL && db.config.kind === 'mysql' ? { DATABASE_URL: db.config.url, SEED_DEMO_DATA: 'true' } : {}),
  };
});
afterEach(async () => {
  for (const service of running.splice(0)) {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await service.exited;
  }
});
afterAll(() => drop());

async function tablesIn(url: string): Promise<string[]> {
  const connection = await createConnection(url);
  try {
    const [rows] = await connection.query('SHOW TABLES');
    return (rows as Record<string, string>[]).map((row) => Object.values(row)[0]);
  } finally {
    await connection.end();
  }
}

async function start(extra: Record<string, string> = {}, args: string[] = []): Promise<RunningService> {
  const service = await startService({ ...env, ...extra }, args);
  running.push(service);
  return service;
}

describe('the service process', () => {
  test('starts on an empty data folder: creates it, migrates, seeds demo data and answers', async () => {
    expect(existsSync(dataDir)).toBe(false);
    const service = await start();
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', jobs: 'ok' } });
    expect((await fetch(`${service.url}/docs/`)).status).toBe(200);

    const login = await fetch(`${service.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(DEMO_ACCOUNTS.operator),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('operator');

    // The demo factory sees its live campaign's forecast, published three times as pledges came in.
    const factoryLogin = await fetch(`${service.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(DEMO_ACCOUNTS.factory),
    });
    const factoryAuth = { Authorization: `Bearer ${((await factoryLogin.json()) as { token: string }).token}` };
    const batches = (await (await fetch(`${service.url}/v1/factory/forecast-batches`, { headers: factoryAuth })).json()) as {
      items: { version: number; firmUnits: number }[];
    };
    expect(batches.items.map((b) => b.version)).toEqual([3, 2, 1]);
    expect(batches.items.map((b) => b.firmUnits)).toEqual([14, 10, 7]);

    // The demo campaign reads in Chinese: its options and values have display labels.
    const demoCampaigns = (await (await fetch(`${service.url}/v1/campaigns?status=open`)).json()) as {
      items: { id: string; options: { name: string; label: { zh: string }; valueLabels: Record<string, { zh: string }> }[]; imageUrl: string | null }[];
    };
    expect(demoCampaigns.items[0].options.map((o) => o.label.zh)).toEqual(['颜色', '尺码']);
    expect(demoCampaigns.items[0].options[0].valueLabels.black.zh).toBe('黑色');
    expect(demoCampaigns.items[0].imageUrl).toBeNull();

    // The demo consumer's fruit boxes: a schedule to read, every day ready-to-eat or named.
    const consumerLogin = await fetch(`${service.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(DEMO_ACCOUNTS.consumer),
    });
    const consumerAuth = { Authorization: `Bearer ${((await consumerLogin.json()) as { token: string }).token}` };
    const subscriptions = (await (await fetch(`${service.url}/v1/me/subscriptions`, { headers: consumerAuth })).json()) as { items: { id: string }[] };
    expect(subscriptions.items).toHaveLength(2);
    const schedule = (await (await fetch(`${service.url}/v1/subscriptions/${subscriptions.items[0].id}/schedule`, { headers: consumerAuth })).json()) as {
      deliveries: { box: { items: unknown[] } | null }[];
    };
    expect(schedule.deliveries.length).toBeGreaterThan(0);
    expect(schedule.deliveries.filter((d) => d.box).every((d) => d.box!.items.length > 0)).toBe(true);

    // The demo shop owner's 店主中心: the two demo pledges made through their link (3 units: meimei's 2, xiaochen's 4 → 6).
    const shopOwnerLogin = await fetch(`${service.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(DEMO_ACCOUNTS.shopOwner),
    });
    const shopOwnerAuth = { Authorization: `Bearer ${((await shopOwnerLogin.json()) as { token: string }).token}` };
    const dashboard = (await (await fetch(`${service.url}/v1/me/shop/dashboard`, { headers: shopOwnerAuth })).json()) as {
      campaigns: { campaignId: string; pledges: number; units: number }[];
    };
    expect(dashboard.campaigns).toEqual([expect.objectContaining({ campaignId: demoCampaigns.items[0].id, pledges: 2, units: 6 })]);

    // 选品: the demo shop owner was picked for the orchard's mango-box trial and has not rated it yet.
    const trials = (await (await fetch(`${service.url}/v1/concepts/trials`, { headers: shopOwnerAuth })).json()) as {
      items: { title: string; application: { status: string } | null; rating: unknown }[];
    };
    expect(trials.items).toEqual([
      expect.objectContaining({
        title: '树上熟金煌芒果礼盒 Tree-ripened mango gift box',
        application: expect.objectContaining({ status: 'picked' }),
        rating: null,
      }),
    ]);
    // 红黑榜: 烟台 leads the origins' 红榜 on the demo shop owners' three red marks and one black (they count on the demo).
    const origins = (await (await fetch(`${service.url}/v1/marks?kind=origin&board=red`)).json()) as {
      items: { subject: { label: string }; red: number; black: number }[];
    };
    expect(origins.items[0]).toMatchObject({ subject: { label: '烟台' }, red: 3, black: 1 });

    // The embedded demo signs the demo consumer in by phone: the code is in the answer (SMS_SANDBOX_ECHO) and in the log.
    if (!TEST_DATABASE_URL) {
      const post = (path: string, body: unknown) =>
        fetch(`${service.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const sent = (await (await post('/v1/auth/phone/code', { phone: '138 0013 8000' })).json()) as { sandboxCode: string };
      expect(sent.sandboxCode).toMatch(/^\d{6}$/);
      const byPhone = (await (await post('/v1/auth/phone/verify', { phone: DEMO_CONSUMER_PHONE, code: sent.sandboxCode })).json()) as {
        newAccount: boolean;
        user: { email: string };
      };
      expect(byPhone).toMatchObject({ newAccount: false, user: { email: DEMO_ACCOUNTS.consumer.email } });
      expect(logLines(service.output()).some((l) => String(l.msg).startsWith('sandbox SMS') && JSON.stringify(l).includes(sent.sandboxCode))).toBe(true);
    }

    const lines = logLines(service.output());
    expect(lines.some((l) => l.msg === 'migrations applied')).toBe(true);
    expect(lines.some((l) => String(l.msg).startsWith('demo data seeded'))).toBe(true);
    // The demo data has an operator: nothing to tell.
    expect(lines.some((l) => String(l.msg).startsWith('no operator account yet'))).toBe(false);
    const secret = path.join(dataDir, 'secrets', 'auth-secret');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    if (!TEST_DATABASE_URL) expect(readdirSync(dataDir)).toContain('c2m.sqlite');
  });

  test('restarts on the same data: nothing to migrate, demo data not seeded twice, old tokens still valid', async () => {
    const first = await start();
    const login = await fetch(`${first.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(DEMO_ACCOUNTS.consumer),
    });
    const { token } = (await login.json()) as { token: string };
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await start();
    const lines = logLines(second.output());
    expect(lines.some((l) => l.msg === 'migrations applied')).toBe(false);
    expect(lines.some((l) => String(l.msg).startsWith('demo data seeded'))).toBe(false);
    expect((await fetch(`${second.url}/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  test('on SIGTERM it finishes the request in flight, then exits 0', async () => {
    // A password hash at several times the production cost keeps the request busy for a moment.
    const service = await start({ PASSWORD_HASH_MEMORY_KIB: '19456', PASSWORD_HASH_ITERATIONS: '8' });
    const inFlight = fetch(`${service.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'late@example.com', password: 'a password in flight' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    service.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(201);
    expect(await service.exited).toBe(0);
    const messages = logLines(service.output()).map((l) => `${String(l.msg)} ${JSON.stringify(l.req ?? '')}`);
    const shutdownAt = messages.findIndex((m) => m.startsWith('shutting down'));
    const answeredAt = messages.findIndex((m) => m.startsWith('request completed') && m.includes('/v1/auth/register'));
    expect(shutdownAt).toBeGreaterThanOrEqual(0);
    expect(answeredAt).toBeGreaterThan(shutdownAt);
    expect(messages[messages.length - 1]).toMatch(/^stopped/);
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });

  test('runs as an API only or a worker only', async () => {
    const api = await start({}, ['--role=api']);
    expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ checks: { jobs: 'not run here' } });
    const worker = await start({}, ['--role=worker']);
    // A worker serves no HTTP.
    expect(worker.port).toBeUndefined();
    expect(worker.output()).toContain('ready: job worker running');
  });

  test('a second start on a busy port: one line naming the port, exit 1, nothing migrated', async () => {
    const occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
    const port = (occupier.address() as AddressInfo).port;
    const own = await freshDatabase();
    const ownDataDir = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-busy-')), 'data');
    try {
      const result = await runServiceToExit({
        ...env,
        DATA_DIR: ownDataDir,
        PORT: String(port),
        ...(own.config.kind === 'mysql' ? { DATABASE_URL: own.config.url } : {}),
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `failed to start: cannot listen on port ${port} on 127.0.0.1: it is already in use (another copy of this service?). Stop that process or set PORT to a free port.`,
      ]);
      expect(logLines(result.stdout).filter((l) => l.msg !== undefined)).toEqual([]);
      // The port was tried before the database: no data folder, no file, no table.
      expect(existsSync(ownDataDir)).toBe(false);
      if (own.config.kind === 'mysql') expect(await tablesIn(own.config.url)).toEqual([]);
    } finally {
      occupier.close();
      await own.drop();
    }
  });

  test('a database that cannot be opened: one line saying which, where, and what to do', async () => {
    // Nothing listens on a port just closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await runServiceToExit({ ...env, DATABASE_URL: `mysql://c2m:secret-password@127.0.0.1:${closedPort}/c2m` });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toEqual([
      `failed to start: cannot connect to MySQL at 127.0.0.1:${closedPort}: connection refused. Is the server running, and are the host and port in DATABASE_URL right?`,
    ]);

    if (TEST_DATABASE_URL) {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = '/c2m_no_such_database';
      const unknown = await runServiceToExit({ ...env, DATABASE_URL: url.toString() });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim().split('\n')).toEqual([
        `failed to start: database "c2m_no_such_database" does not exist on MySQL at ${url.hostname}:${url.port || 3306}. Create it: CREATE DATABASE \`c2m_no_such_database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; then start again.`,
      ]);
    } else {
      // The embedded database's folder is a file.
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-file-')), 'data');
      writeFileSync(file, 'not a folder');
      const unwritable = await runServiceToExit({
        ...env,
        DATA_DIR: file,
        AUTH_SECRET: 'an-auth-secret-of-at-least-32-characters',
        SANDBOX_SECRET: 'a-sandbox-secret-of-at-least-32-characters',
      });
      expect(unwritable.code).toBe(1);
      expect(unwritable.stderr.trim().split('\n')).toEqual([
        `failed to start: cannot open the SQLite database ${path.join(file, 'c2m.sqlite')}: a part of the path is a file, not a folder. Set DATA_DIR to a folder this user may write (or move the file away).`,
      ]);
    }
    // The CLI says the same, in one line.
    const cli = await runCli(['migrate'], { ...env, DATABASE_URL: `mysql://c2m@127.0.0.1:${closedPort}/c2m` });
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^failed: cannot connect to MySQL at 127.0.0.1:${closedPort}: connection refused`)),
    ]);
  });

  test('a fresh database without an operator: the log says how to create one', async () => {
    const own = await freshDatabase();
    try {
      const service = await start({
        DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'c2m-no-operator-')), 'data'),
        SEED_DEMO_DATA: 'false',
        ...(own.config.kind === 'mysql' ? { DATABASE_URL: own.config.url } : {}),
      });
      const warning = logLines(service.output()).find((l) => String(l.msg).startsWith('no operator account yet'));
      expect(warning?.msg).toBe(
        'no operator account yet: create one with `npm run cli -- create-operator --email <email> --password <password>`, or start with BOOTSTRAP_OPERATOR_EMAIL and BOOTSTRAP_OPERATOR_PASSWORD set',
      );
      expect(warning?.level).toBe(40);
    } finally {
      await own.drop();
    }
  });

  test('refuses to start on bad configuration, naming every bad variable', async () => {
    const service = startService({ ...env, PORT: 'eighty', LOG_LEVEL: 'loud' });
    await expect(service).rejects.toThrow(/exited with 1[\s\S]*PORT[\s\S]*LOG_LEVEL/);
    await expect(startService({ ...env }, ['--role=cook'])).rejects.toThrow(/--role: must be api, worker or all/);
  });
});

describe('the command line', () => {
  // A database of its own: the services above were killed with SIGKILL and may have left a job locked.
  let own: Awaited<ReturnType<typeof freshDatabase>>;
  let cliEnv: Record<string, string>;
  const ownConfig = () => (own.config.kind === 'sqlite' ? { kind: 'sqlite' as const, file: path.join(cliEnv.DATA_DIR, 'c2m.sqlite') } : own.config);
  beforeAll(async () => {
    own = await freshDatabase();
    cliEnv = {
      DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'c2m-cli-')), 'data'),
      PASSWORD_HASH_MEMORY_KIB: '64',
      PASSWORD_HASH_ITERATIONS: '1',
      ...(own.config.kind === 'mysql' ? { DATABASE_URL: own.config.url } : {}),
    };
  });
  afterAll(() => own.drop());

  test('migrate, create-operator and reconcile', async () => {
    const env = cliEnv;
    const migrate = await runCli(['migrate'], env);
    expect(migrate).toMatchObject({ code: 0 });
    expect(migrate.stdout).toMatch(/applied: Foundation|database is up to date/);

    const created = await runCli(['create-operator', '--email', 'Ops@Example.com', '--password', 'a strong operator password'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('operator created: ops@example.com');
    const again = await runCli(['create-operator', '--email', 'ops@example.com', '--password', 'a strong operator password'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('An account with this email already exists');

    const bad = await runCli(['create-operator', '--email', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--email: must be an email address.*--password/);

    expect(await runCli(['reconcile'], env)).toMatchObject({ code: 0, stdout: expect.stringContaining('ledger reconciles') });
  }, 120_000);

  test('run-jobs says how many runs of each job succeeded and failed', async () => {
    expect(await runCli(['run-jobs', '--timeout-seconds', '20'], cliEnv)).toMatchObject({ code: 0, stdout: 'no jobs were due\n' });
    // Three jobs due now, one of them with a payload that no longer fits its schema.
    const withJobs = await startTestApp({ database: { config: ownConfig(), drop: async () => {} } });
    await withJobs.db.transaction((tx) =>
      withJobs.app.jobs.enqueueMany(tx, 'platform.purge-idempotency-keys', [{ payload: {} }, { payload: {} }, { payload: {}, key: 'broken' }]),
    );
    await withJobs.db.transaction((tx) =>
      withJobs.db.sql(tx, "UPDATE jobs SET data = '{\"unexpected\":true}' WHERE dedupe_key = 'platform.purge-idempotency-keys:broken'"),
    );
    // The recurring jobs are put off (a worker keeps a stored next run), so that only the three are due whatever
    // minute the run crosses: payments.query-open runs every minute, and a slow CI run once counted it in.
    await withJobs.db.transaction((tx) =>
      withJobs.db.sql(tx, 'UPDATE jobs SET next_run_at = ? WHERE repeat_interval IS NOT NULL', [new Date('2099-01-01T00:00:00Z')]),
    );
    await withJobs.close();
    const ran = await runCli(['run-jobs', '--timeout-seconds', '20'], cliEnv);
    expect(ran.code).toBe(1);
    expect(ran.stdout.split('\n').filter((line) => !line.startsWith('{'))).toEqual([
      'jobs run: 2 succeeded, 1 failed',
      '  platform.purge-idempotency-keys: 2 succeeded, 1 failed',
      '',
    ]);
    expect(ran.stderr).toContain('the reasons are in the jobs table');
  }, 120_000);

  test('wrong usage says what is wrong, then the usage, and exits 2', async () => {
    const bogus = await runCli(['bogus'], cliEnv);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^unknown command: bogus\n\nUsage: npm run cli -- <command>/);
    expect(await runCli([], cliEnv)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^no command given\n\nUsage:/) });
    expect(await runCli(['migrate', '--emial', 'x'], cliEnv)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^Unknown option '--emial'[\s\S]*Usage:/),
    });
    expect(await runCli(['run-jobs', '--timeout-seconds', 'soon'], cliEnv)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^--timeout-seconds: must be a number of seconds above 0 \(got soon\)/),
    });
    expect(await runCli(['--help'], cliEnv)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage:/) });
  }, 120_000);

  test('reconcile fails on a damaged ledger', async () => {
    // Damage the ledger behind the service's back: reconcile must say so and fail.
    const db = await openDatabase(ownConfig(), entities, migrations);
    await db.transaction(async (tx) => {
      await tx.insert(JournalEntryRow, {
        id: '11111111-1111-4111-8111-111111111111',
        kind: 'deposit_received',
        campaignId: null,
        pledgeId: null,
        paymentId: null,
        refundId: null,
        createdAt: new Date(),
      });
      await tx.insert(JournalLineRow, {
        id: '22222222-2222-4222-8222-222222222222',
        entryId: '11111111-1111-4111-8111-111111111111',
        account: 'gateway',
        amount: parseMoney('1.00'),
      });
    });
    await db.close();
    const broken = await runCli(['reconcile'], cliEnv);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('journal entry 11111111-1111-4111-8111-111111111111 does not sum to zero');
  }, 120_000);
});
