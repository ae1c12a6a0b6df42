import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freshDatabase, TEST_DATABASE_URL } from '../support/database';
import { runCli, startService, type RunningService } from '../support/process';
import { waitFor } from '../support/wait';

/**
 * An operator runs the command line next to the running service, on the same database: on the
 * embedded default that is one SQLite file that two processes write at once. The service keeps
 * taking sign-ups and pledges (its worker polling beside them) while every command runs; none of them may fail
 * because the other process was writing, and the service answers every request.
 */
let env: Record<string, string>;
let drop: () => Promise<void>;
let service: RunningService | undefined;

beforeAll(async () => {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-shared-')), 'data');
  const db = await freshDatabase();
  drop = db.drop;
  env = {
    DATA_DIR: dataDir,
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_ITERATIONS: '1',
    SEED_DEMO_DATA: 'true',
    SANDBOX_AUTO_CONFIRM: 'false',
    JOBS_POLL_INTERVAL_MS: '50',
    ...(TEST_DATABASE_URL && db.config.kind === 'mysql' ? { DATABASE_URL: db.config.url } : {}),
  };
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await service?.exited;
  await drop();
});

test('run-jobs, reconcile, migrate and seed succeed while the service writes to the same database', async () => {
  service = await startService(env);
  const { url } = service;
  const campaigns = (await (await fetch(`${url}/v1/campaigns`)).json()) as { items: { id: string }[] };
  const campaignId = campaigns.items[0].id;

  // Consumers sign up and pledge, four at a time: every request writes.
  let stop = false;
  const answers: number[] = [];
  const consumer = async (n: number) => {
    for (let i = 0; !stop; i++) {
      const signUp = await fetch(`${url}/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `shopper-${n}-${i}@example.com`, password: 'a long enough password' }),
      });
      answers.push(signUp.status);
      const { token } = (await signUp.json()) as { token: string };
      const pledge = await fetch(`${url}/v1/campaigns/${campaignId}/pledges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `pledge-${n}-${i}` },
        body: JSON.stringify({ variant: { colour: 'black', size: 'M' }, quantity: 1 }),
      });
      answers.push(pledge.status);
      await pledge.arrayBuffer();
    }
  };
  const load = Promise.all([1, 2, 3, 4].map(consumer));
  try {
    await waitFor(() => answers.length >= 8, 60_000, 'every consumer to have signed up and pledged');
    const commands = [['run-jobs', '--timeout-seconds', '60'], ['reconcile'], ['migrate'], ['seed']];
    const runs = await Promise.all(commands.map((command) => runCli(command, env)));
    expect(runs.map((run, i) => ({ command: commands[i][0], code: run.code, stderr: run.stderr }))).toEqual(
      commands.map(([command]) => ({ command, code: 0, stderr: '' })),
    );
  } finally {
    stop = true;
    await load;
  }
  expect(answers.filter((status) => status >= 500)).toEqual([]);
}, 300_000);

test('two processes migrating a new database at the same moment both succeed, and the migrations are applied once', async () => {
  const fresh = await freshDatabase();
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-migrate-')), 'data');
  const envFresh = {
    DATA_DIR: dataDir,
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_ITERATIONS: '1',
    ...(fresh.config.kind === 'mysql' ? { DATABASE_URL: fresh.config.url } : {}),
  };
  try {
    const runs = await Promise.all([runCli(['migrate'], envFresh), runCli(['migrate'], envFresh), runCli(['seed'], envFresh)]);
    expect(runs.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
    expect(runs[2].stdout).toContain('demo data seeded');
    expect(await runCli(['migrate'], envFresh)).toMatchObject({ code: 0, stdout: expect.stringContaining('database is up to date') });
  } finally {
    await fresh.drop();
  }
}, 120_000);
