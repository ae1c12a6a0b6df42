import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import pino from 'pino';
import { In } from 'typeorm';
import { z } from 'zod';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { openDatabase } from '../../src/platform/database';
import { Metrics } from '../../src/platform/http/metrics';
import { JobConsole, JobRow, Jobs, defineJob, type JobDefinition } from '../../src/platform/jobs';
import { TypeormJobRepository, claimableIds, namesWithClaimableJobs } from '../../src/platform/jobs/job-repository';
import { createLogger } from '../../src/platform/logger';
import { startTestApp, type TestApp } from '../support/app';
import { parseLog, recordingJob } from '../support/test-jobs';
import { waitFor } from '../support/wait';

let t: TestApp;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(path.join(tmpdir(), 'c2m-jobs-'));
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => stop(child)));
});
afterAll(() => t.close());

/** A Jobs instance in this process, on the test database, with the given definitions. */
function jobsWith(...definitions: JobDefinition<any>[]): Jobs {
  return jobsOn({}, ...definitions);
}

function jobsOn(options: { pollIntervalMs?: number; db?: typeof t.db; logger?: ReturnType<typeof createLogger> }, ...definitions: JobDefinition<any>[]): Jobs {
  const jobs = new Jobs(options.db ?? t.db, options.logger ?? createLogger('silent'), new Metrics({ processMetrics: false }), {
    pollIntervalMs: options.pollIntervalMs ?? 50,
    lockLifetimeMs: 2000,
  });
  jobs.register(...definitions);
  return jobs;
}

/** A real worker process on the same database. */
async function startWorkerProcess(name: string, logFile: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, '../support/job-worker.ts'), [], {
    execArgv: ['-r', path.join(__dirname, '../support/register-ts.js')],
    env: { ...process.env, TEST_DB_CONFIG: JSON.stringify(t.dbConfig), LOG_FILE: logFile, WORKER_NAME: name, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)));
  });
  return child;
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

const log = (file: string) => (existsSync(file) ? parseLog(readFileSync(file, 'utf8')) : []);
const jobRows = (name: string) => t.db.read((tx) => tx.find(JobRow, { where: { name }, order: { createdAt: 'ASC' } }));

describe('job backend (agenda 6 on our database)', () => {
  test('a due job runs exactly once and is left finished', async () => {
    const ran: number[] = [];
    const jobs = jobsWith(defineJob({ name: 'test.once', payload: z.strictObject({ n: z.number() }), handle: async ({ n }) => void ran.push(n) }));
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.once', { n: 1 }));
    await jobs.startWorker();
    await waitFor(() => ran.length === 1, 10_000, 'the job to run');
    await jobs.runDueJobs(5000);
    await jobs.stopWorker();
    expect(ran).toEqual([1]);
    const [row] = await jobRows('test.once');
    expect(row).toMatchObject({ lockedAt: null, nextRunAt: null, failCount: 0 });
    expect(row.lastFinishedAt).toBeInstanceOf(Date);
  });

  test('a job enqueued in a transaction that rolls back never runs; one that commits always does', async () => {
    const ran: string[] = [];
    const jobs = jobsWith(defineJob({ name: 'test.tx', payload: z.strictObject({ label: z.string() }), handle: async ({ label }) => void ran.push(label) }));
    await expect(
      t.db.transaction(async (tx) => {
        await jobs.enqueue(tx, 'test.tx', { label: 'rolled back' });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.tx', { label: 'committed' }));
    await jobs.startWorker();
    await waitFor(() => ran.includes('committed'), 10_000, 'the committed job to run');
    await jobs.runDueJobs(5000);
    await jobs.stopWorker();
    expect(ran).toEqual(['committed']);
    expect(await jobRows('test.tx')).toHaveLength(1);
  });

  test('enqueueing with the same key twice schedules one job', async () => {
    const ran: number[] = [];
    const jobs = jobsWith(defineJob({ name: 'test.keyed', payload: z.strictObject({ n: z.number() }), handle: async ({ n }) => void ran.push(n) }));
    await t.db.transaction(async (tx) => {
      await jobs.enqueue(tx, 'test.keyed', { n: 1 }, { key: 'campaign-42' });
      await jobs.enqueue(tx, 'test.keyed', { n: 2 }, { key: 'campaign-42' });
    });
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.keyed', { n: 3 }, { key: 'campaign-42' }));
    await jobs.runDueJobs(10_000);
    expect(ran).toEqual([1]);
  });

  test('an unknown job name or a payload that breaks its schema is refused at enqueue', async () => {
    const jobs = jobsWith(defineJob({ name: 'test.strict', payload: z.strictObject({ n: z.number() }), handle: async () => {} }));
    await expect(t.db.transaction((tx) => jobs.enqueue(tx, 'test.nope', {}))).rejects.toThrow(/no job named test.nope/);
    await expect(t.db.transaction((tx) => jobs.enqueue(tx, 'test.strict', { n: 'one' }))).rejects.toThrow();
    expect(await jobRows('test.strict')).toHaveLength(0);
  });

  test('looking for the job to claim among thousands due finds the earliest and locks none of them', async () => {
    // 5,000 expiries due at once (a spike of pledges an hour ago). A claim that locked every job of the name
    // filled InnoDB's lock memory, and MariaDB aborted, with some 18,000 queued in a 20-minute soak.
    const start = Date.now() - 3600_000;
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      id: `6a0b0c0d-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: 'test.many-due',
      priority: 0,
      next_run_at: new Date(start + ((i * 7919) % 5000) * 100),
      type: 'normal',
      dedupe_key: null,
      fail_count: 0,
      data: '{}',
      disabled: 0,
      created_at: new Date(start),
    }));
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += 500) await t.db.insertRows(tx, 'jobs', rows.slice(i, i + 500));
    });
    const earliest = rows.reduce((a, b) => (b.next_run_at < a.next_run_at ? b : a));
    await t.db.transaction(async (tx) => {
      const [claimable] = await claimableIds(tx, 'test.many-due', { scan: new Date(), deadline: new Date(Date.now() - 600_000) }, 1);
      expect(claimable).toBe(earliest.id);
      if (t.db.dialect === 'mysql') {
        const [{ locked }] = (await tx.query(
          'SELECT trx_rows_locked AS locked FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()',
        )) as { locked: number | string }[];
        expect(Number(locked)).toBe(0);
      }
    });
    await t.db.transaction((tx) => tx.delete(JobRow, { name: 'test.many-due' }));
  });

  test('a claim reads a few rows, however many jobs of its name have finished; a job whose lock expired comes first', async () => {
    // A launch's deposit confirmations leave thousands of finished jobs of one name behind (next run NULL). A claim
    // that walked them all on every poll grew slower with every job that ever ran.
    const now = Date.now();
    const job = (i: number, nextRunAt: number | null, lockedAt: number | null) => ({
      id: `7a0b0c0d-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: 'test.finished-many',
      priority: 0,
      next_run_at: nextRunAt === null ? null : new Date(nextRunAt),
      type: 'normal',
      dedupe_key: null,
      fail_count: 0,
      data: '{}',
      disabled: 0,
      locked_at: lockedAt === null ? null : new Date(lockedAt),
      created_at: new Date(now - 3600_000),
    });
    const finished = Array.from({ length: 5000 }, (_, i) => job(i, null, null));
    // Due behind the earliest: enough of them that an ordered walk of the name's index looks cheap to the planner.
    const later = Array.from({ length: 2000 }, (_, i) => job(6000 + i, now - 500, null));
    const due = job(5000, now - 1000, null);
    const expired = job(5001, null, now - 3600_000);
    const future = job(5002, now + 3600_000, null);
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < finished.length; i += 1000) await t.db.insertRows(tx, 'jobs', finished.slice(i, i + 1000));
      for (let i = 0; i < later.length; i += 1000) await t.db.insertRows(tx, 'jobs', later.slice(i, i + 1000));
      await t.db.insertRows(tx, 'jobs', [due, expired, future]);
    });
    const window = { scan: new Date(now), deadline: new Date(now - 600_000) };
    await t.db.transaction(async (tx) => {
      const rowsRead = async () => {
        if (t.db.dialect !== 'mysql') return 0;
        const rows = (await tx.query("SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_key', 'Handler_read_rnd_next')")) as {
          Value: string;
        }[];
        return rows.reduce((n, r) => n + Number(r.Value), 0);
      };
      const before = await rowsRead();
      expect(await claimableIds(tx, 'test.finished-many', window, 2)).toEqual([expired.id, due.id]);
      if (t.db.dialect === 'mysql') expect((await rowsRead()) - before).toBeLessThan(100);
    });
    expect(await namesWithClaimableJobs(t.db, ['test.finished-many'], window)).toEqual(new Set(['test.finished-many']));
    await t.db.transaction((tx) => tx.delete(JobRow, { name: 'test.finished-many' }));
    expect(await namesWithClaimableJobs(t.db, ['test.finished-many'], window)).toEqual(new Set());
  });

  test("the lag /metrics reads is the console summary's: the longest-waiting job's, not a running, cancelled, future or finished one", async () => {
    const now = Date.now();
    const row = (i: number, fields: { next: number | null; locked?: number; disabled?: boolean }) => ({
      id: `7a0b0c0d-0000-4000-8001-${String(i).padStart(12, '0')}`,
      name: 'test.record',
      priority: 0,
      next_run_at: fields.next === null ? null : new Date(fields.next),
      type: 'normal',
      dedupe_key: null,
      fail_count: 0,
      data: '{"n":1}',
      disabled: fields.disabled ? 1 : 0,
      locked_at: fields.locked === undefined ? null : new Date(fields.locked),
      created_at: new Date(now - 3600_000),
    });
    await t.db.transaction(async (tx) => {
      await t.db.insertRows(
        tx,
        'jobs',
        Array.from({ length: 500 }, (_, i) => row(i, { next: null })),
      );
      await t.db.insertRows(tx, 'jobs', [
        row(1000, { next: now - 600_000, locked: now - 1000 }), // running
        row(1001, { next: now - 500_000, disabled: true }), // cancelled
        row(1002, { next: now - 90_000 }), // the longest waiting
        row(1003, { next: now - 10_000 }),
        row(1004, { next: now + 60_000 }), // scheduled
      ]);
    });
    const jobConsole = new JobConsole({
      db: t.db,
      jobs: jobsWith(recordingJob({ logFile: path.join(dir, 'unused.log'), worker: 'parent' })),
      now: () => new Date(now),
    });
    const lags = await jobConsole.lags();
    expect(lags).toEqual([{ name: 'test.record', lagMs: 90_000 }]);
    const summary = (await jobConsole.summary()).find((s) => s.name === 'test.record')!;
    expect({ lagMs: summary.lagMs, oldestDueAt: summary.oldestDueAt }).toEqual({ lagMs: 90_000, oldestDueAt: new Date(now - 90_000) });
    await t.db.transaction((tx) => tx.delete(JobRow, { name: 'test.record' }));
    expect(await jobConsole.lags()).toEqual([{ name: 'test.record', lagMs: 0 }]);
  });

  test('completed jobs of a type that asks for it are deleted once they finished long enough ago; everything else stays', async () => {
    const now = Date.now();
    const DAY = 86_400_000;
    let next = 0;
    const row = (name: string, fields: { finished: number; next?: number; locked?: number; disabled?: boolean; failures?: number }) => ({
      id: `7a0b0c0d-0000-4000-8002-${String(next++).padStart(12, '0')}`,
      name,
      priority: 0,
      next_run_at: fields.next === undefined ? null : new Date(fields.next),
      type: 'normal',
      dedupe_key: `${name}:${next}`,
      fail_count: fields.failures ?? 0,
      failed_at: fields.failures ? new Date(fields.finished) : null,
      last_finished_at: new Date(fields.finished),
      data: '{"n":1}',
      disabled: fields.disabled ? 1 : 0,
      locked_at: fields.locked === undefined ? null : new Date(fields.locked),
      created_at: new Date(fields.finished - 60_000),
    });
    const old = now - 40 * DAY;
    const purgeable = Array.from({ length: 2500 }, () => row('test.purgeable', { finished: old }));
    const kept = [
      row('test.purgeable', { finished: now - DAY }), // completed, but recently
      row('test.purgeable', { finished: old, failures: 6 }), // given up
      row('test.purgeable', { finished: old, disabled: true, next: now - DAY }), // cancelled
      row('test.purgeable', { finished: old, locked: now - 1000 }), // running again
      row('test.purgeable', { finished: old, next: now - 1000 }), // due again
      row('test.kept', { finished: old }), // a type whose finished jobs are kept
    ];
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < purgeable.length; i += 1000) await t.db.insertRows(tx, 'jobs', purgeable.slice(i, i + 1000));
      await t.db.insertRows(tx, 'jobs', kept);
    });
    const handle = async () => {};
    const jobs = jobsWith(
      defineJob({ name: 'test.purgeable', payload: z.strictObject({ n: z.number() }), handle, purgeFinished: true }),
      defineJob({ name: 'test.kept', payload: z.strictObject({ n: z.number() }), handle }),
    );
    expect(await jobs.purgeFinished(new Date(now - 30 * DAY))).toBe(2500);
    const left = await t.db.read((tx) => tx.find(JobRow, { where: { name: In(['test.purgeable', 'test.kept']) } }));
    expect(left.map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort());
    expect(await jobs.purgeFinished(new Date(now - 30 * DAY))).toBe(0);
    await t.db.transaction((tx) => tx.delete(JobRow, { name: In(['test.purgeable', 'test.kept']) }));
  });

  test('one read tells a poll which names have a job to claim: due and free, or with an expired lock; not future, live-locked or cancelled', async () => {
    const now = Date.now();
    const row = (name: string, nextRunAt: number, lockedAt: number | null, disabled = 0) => ({
      id: randomUUID(),
      name,
      priority: 0,
      next_run_at: new Date(nextRunAt),
      type: 'normal',
      dedupe_key: null,
      fail_count: 0,
      data: '{}',
      disabled,
      locked_at: lockedAt === null ? null : new Date(lockedAt),
      created_at: new Date(now),
    });
    const rows = [
      row('test.names.due', now - 1000, null),
      row('test.names.future', now + 3600_000, null),
      row('test.names.running', now - 1000, now - 1000),
      row('test.names.abandoned', now - 600_000, now - 700_000),
      row('test.names.cancelled', now - 1000, null, 1),
    ];
    await t.db.transaction((tx) => t.db.insertRows(tx, 'jobs', rows));
    const names = await namesWithClaimableJobs(t.db, [...rows.map((r) => r.name), 'test.names.none'], {
      scan: new Date(now + 500),
      deadline: new Date(now - 600_000),
    });
    expect([...names].sort()).toEqual(['test.names.abandoned', 'test.names.due']);
    await t.db.transaction((tx) => tx.createQueryBuilder().delete().from(JobRow).where('name LIKE :n', { n: 'test.names.%' }).execute());
  });

  test('a job enqueued while the worker polls and finds nothing runs at one of the next polls', async () => {
    const ran: number[] = [];
    const jobs = jobsOn(
      { pollIntervalMs: 100 },
      defineJob({ name: 'test.later', payload: z.strictObject({ n: z.number() }), handle: async ({ n }) => void ran.push(n) }),
    );
    await jobs.startWorker();
    await new Promise((resolve) => setTimeout(resolve, 350));
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.later', { n: 1 }));
    await waitFor(() => ran.length === 1, 10_000, 'the job enqueued after the worker started to run');
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.later', { n: 2 }));
    await waitFor(() => ran.length === 2, 10_000, 'a second one to run too');
    await jobs.stopWorker();
    expect(ran).toEqual([1, 2]);
  });

  test('a failing job is retried with back-off until it succeeds', async () => {
    let attempts = 0;
    const jobs = jobsWith(
      defineJob({
        name: 'test.flaky',
        payload: z.strictObject({}),
        handle: async () => {
          attempts += 1;
          if (attempts === 1) throw new Error('the gateway timed out');
        },
      }),
    );
    await t.db.transaction((tx) => jobs.enqueue(tx, 'test.flaky', {}));
    await jobs.startWorker();
    await waitFor(async () => (await jobRows('test.flaky'))[0]?.failCount === 1, 10_000, 'the first failure');
    const [failed] = await jobRows('test.flaky');
    expect(failed.failReason).toBe('the gateway timed out');
    expect(failed.nextRunAt!.getTime()).toBeGreaterThan(failed.failedAt!.getTime());
    await waitFor(() => attempts === 2, 15_000, 'the retry');
    await jobs.stopWorker();
    await waitFor(async () => (await jobRows('test.flaky'))[0].failCount === 0, 5000, 'the success to be saved');
  });

  test('a stored job whose payload no longer fits its schema fails at once, without retries', async () => {
    let ran = 0;
    const jobs = jobsWith(defineJob({ name: 'test.schema', payload: z.strictObject({ n: z.number() }), handle: async () => void (ran += 1) }));
    await t.db.transaction((tx) =>
      tx.insert(JobRow, {
        id: '5d1f3c2e-0000-4000-8000-000000000001',
        name: 'test.schema',
        priority: 0,
        nextRunAt: new Date(),
        type: 'normal',
        dedupeKey: null,
        failCount: 0,
        data: { n: 'not a number' },
        disabled: false,
        createdAt: new Date(),
      }),
    );
    await jobs.startWorker();
    await waitFor(async () => (await jobRows('test.schema'))[0].failCount === 1, 10_000, 'the failure');
    await jobs.stopWorker();
    const [row] = await jobRows('test.schema');
    expect(row.failReason).toMatch(/invalid payload for test.schema/);
    expect(row.nextRunAt).toBeNull();
    expect(ran).toBe(0);
    // The operators' query for jobs that gave up (docs/operations.md) lists it, and not the flaky job of the test before, which went through on its retry.
    const gaveUp = ((await t.db.read((tx) => tx.query('SELECT name FROM jobs WHERE fail_count > 0 AND next_run_at IS NULL'))) as { name: string }[]).map(
      (r) => r.name,
    );
    expect(gaveUp).toContain('test.schema');
    expect(gaveUp).not.toContain('test.flaky');
  });

  test('two worker processes never run the same job, and every job runs exactly once', async () => {
    const logFile = path.join(dir, 'two-workers.log');
    const enqueuer = jobsWith(recordingJob({ logFile, worker: 'parent' }));
    await startWorkerProcess('A', logFile, { WORK_MS: '30' });
    await startWorkerProcess('B', logFile, { WORK_MS: '30' });
    await Promise.all(Array.from({ length: 40 }, (_, n) => t.db.transaction((tx) => enqueuer.enqueue(tx, 'test.record', { n }))));
    await waitFor(() => log(logFile).filter((l) => l.event === 'end').length >= 40, 60_000, 'all 40 jobs to finish');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a double run would show up here
    const lines = log(logFile);
    const starts = lines.filter((l) => l.event === 'start');
    expect(starts).toHaveLength(40);
    expect(new Set(starts.map((l) => l.n)).size).toBe(40);
    expect(lines.filter((l) => l.event === 'end')).toHaveLength(40);
  });

  test('a job whose worker was killed mid-run is taken over once its lock expires', async () => {
    const logFile = path.join(dir, 'killed-worker.log');
    const enqueuer = jobsWith(recordingJob({ logFile, worker: 'parent' }));
    const doomed = await startWorkerProcess('doomed', logFile, { HANG: '1', LOCK_LIFETIME_MS: '1500' });
    await t.db.transaction((tx) => enqueuer.enqueue(tx, 'test.record', { n: 1007 }));
    await waitFor(() => log(logFile).some((l) => l.event === 'start' && l.worker === 'doomed'), 20_000, 'the doomed worker to start the job');
    await stop(doomed, 'SIGKILL');
    const theJob = async () => (await jobRows('test.record')).find((row) => (row.data as { n: number }).n === 1007)!;
    const deadWorkersLock = (await theJob()).lockedAt;
    expect(deadWorkersLock).not.toBeNull();

    await startWorkerProcess('rescuer', logFile, { LOCK_LIFETIME_MS: '1500' });
    await waitFor(() => log(logFile).some((l) => l.event === 'end' && l.worker === 'rescuer'), 20_000, 'the rescuer to finish the job');
    const lines = log(logFile).filter((l) => l.n === 1007);
    expect(lines.map((l) => `${l.event} ${l.worker}`)).toEqual(['start doomed', 'start rescuer', 'end rescuer']);
    // Taken over only after the dead worker's lock had expired, never while it could still be alive.
    expect(lines[1].at).toBeGreaterThanOrEqual(deadWorkersLock!.getTime() + 1500);
    await waitFor(async () => (await theJob()).lockedAt === null, 5000, 'the lock to be released');
  });

  test('a worker stopped with SIGTERM finishes the job it is running before it exits', async () => {
    const logFile = path.join(dir, 'sigterm.log');
    const enqueuer = jobsWith(recordingJob({ logFile, worker: 'parent' }));
    const worker = await startWorkerProcess('graceful', logFile, { WORK_MS: '800' });
    await t.db.transaction((tx) => enqueuer.enqueue(tx, 'test.record', { n: 2001 }));
    await waitFor(() => log(logFile).some((l) => l.n === 2001), 20_000, 'the job to start');
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(
      log(logFile)
        .filter((l) => l.n === 2001)
        .map((l) => l.event),
    ).toEqual(['start', 'end']);
    const row = (await jobRows('test.record')).find((r) => (r.data as { n: number }).n === 2001)!;
    expect(row).toMatchObject({ lockedAt: null, nextRunAt: null });
    expect(row.lastFinishedAt).toBeInstanceOf(Date);
  });

  test('a recurring job runs on its cron schedule in Asia/Shanghai, and is declared once however many workers start', async () => {
    const ran: Date[] = [];
    const daily = () =>
      defineJob({
        name: 'test.daily-9am',
        payload: z.strictObject({}),
        schedule: { cron: '0 9 * * *', timezone: 'Asia/Shanghai', payload: {} },
        handle: async () => void ran.push(new Date()),
      });
    const first = jobsWith(daily());
    const second = jobsWith(daily());
    await Promise.all([first.startWorker(), second.startWorker()]);
    const rows = await jobRows('test.daily-9am');
    expect(rows).toHaveLength(1);

    // 09:00 in Shanghai is 01:00 UTC; the next one after now.
    const next9am = (after: Date) => {
      const shanghai = DateTime.fromJSDate(after).setZone('Asia/Shanghai');
      const today = shanghai.set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
      return (today > shanghai ? today : today.plus({ days: 1 })).toJSDate();
    };
    expect(rows[0].nextRunAt!.toISOString()).toBe(next9am(new Date()).toISOString());
    expect(rows[0].nextRunAt!.getUTCHours()).toBe(1);

    // The clock reaches 09:00: the job comes due, runs once, and is scheduled for 09:00 the next day.
    await t.db.transaction((tx) => tx.update(JobRow, { id: rows[0].id }, { nextRunAt: new Date(Date.now() - 1000) }));
    await waitFor(() => ran.length === 1, 10_000, 'the 9am run');
    await waitFor(async () => (await jobRows('test.daily-9am'))[0].lockedAt === null, 5000, 'the run to be saved');
    await Promise.all([first.stopWorker(), second.stopWorker()]);
    const [after] = await jobRows('test.daily-9am');
    expect(after.nextRunAt!.toISOString()).toBe(next9am(new Date()).toISOString());
    expect(ran).toHaveLength(1);

    // A restart keeps the stored schedule instead of resetting it.
    await t.db.transaction((tx) => tx.update(JobRow, { id: after.id }, { nextRunAt: new Date(Date.now() - 60_000) }));
    const restarted = jobsWith(daily());
    await restarted.startWorker();
    await waitFor(() => ran.length === 2, 10_000, 'the missed run to happen after the restart');
    await restarted.stopWorker();
  });

  test('due jobs run back to back, not a few per poll: with a poll every 20 s, 60 due jobs all run now', async () => {
    const ran: number[] = [];
    const jobs = jobsOn(
      { pollIntervalMs: 20_000 },
      defineJob({ name: 'test.many', payload: z.strictObject({ n: z.number() }), concurrency: 3, handle: async ({ n }) => void ran.push(n) }),
    );
    await t.db.transaction((tx) =>
      jobs.enqueueMany(
        tx,
        'test.many',
        Array.from({ length: 60 }, (_, n) => ({ payload: { n } })),
      ),
    );
    await jobs.startWorker();
    // A liveness bound: before, each poll took 3 (their concurrency), and the 60 needed 20 polls, 400 s.
    await waitFor(() => ran.length === 60, 15_000, 'all 60 jobs to run');
    await jobs.stopWorker();
    expect(new Set(ran).size).toBe(60);
  });

  test('jobs of a batch name run many to a call; a failing one is retried alone, the rest are done once', async () => {
    const calls: number[][] = [];
    const singles: number[] = [];
    let failedOnce = false;
    const jobs = jobsWith(
      defineJob({
        name: 'test.batched',
        payload: z.strictObject({ n: z.number() }),
        concurrency: 2,
        retryDelayMs: 100,
        handle: async ({ n }) => void singles.push(n),
        batch: {
          size: 100,
          handle: async (payloads) => {
            calls.push(payloads.map((p) => p.n));
            return payloads.map((p) => (p.n === 7 && !failedOnce ? ((failedOnce = true), new Error('the bank said no')) : undefined));
          },
        },
      }),
    );
    await t.db.transaction((tx) =>
      jobs.enqueueMany(
        tx,
        'test.batched',
        Array.from({ length: 250 }, (_, n) => ({ payload: { n } })),
      ),
    );
    await jobs.startWorker();
    await waitFor(async () => (await jobRows('test.batched')).every((row) => row.nextRunAt === null && row.lockedAt === null), 30_000, 'every job to be done');
    await jobs.stopWorker();
    const done = calls.flat();
    // Each job handled once, except the one that failed, handled again on its retry.
    expect(done.filter((n) => n !== 7).sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, n) => n).filter((n) => n !== 7));
    expect(done.filter((n) => n === 7)).toHaveLength(2);
    expect(calls.length).toBeLessThanOrEqual(10);
    expect(Math.max(...calls.map((c) => c.length))).toBeGreaterThan(50);
    expect(singles).toEqual([]);
    const seven = (await jobRows('test.batched')).find((row) => (row.data as { n: number }).n === 7)!;
    expect(seven).toMatchObject({ failCount: 0, failReason: 'the bank said no' });
  });

  test('a job running longer than the lock lifetime keeps its lock: a second worker never starts it again', async () => {
    // Three lock lifetimes of work; a lifetime of 6 s, not 1 s: renewals are beats of a quarter of it, and on a
    // loaded two-core machine with MariaDB a beat was seen late by over two seconds. A missed renewal is a real
    // failure here, so the margin is the machine's, not the rule's. (A second start after the end was a defect:
    // the next test.)
    const logFile = path.join(dir, 'long-job.log');
    const enqueuer = jobsWith(recordingJob({ logFile, worker: 'parent' }));
    await startWorkerProcess('first', logFile, { LOCK_LIFETIME_MS: '6000', WORK_MS: '18000' });
    await t.db.transaction((tx) => enqueuer.enqueue(tx, 'test.record', { n: 3001 }));
    await waitFor(() => log(logFile).some((l) => l.n === 3001), 40_000, 'the job to start');
    await startWorkerProcess('second', logFile, { LOCK_LIFETIME_MS: '6000', WORK_MS: '18000' });
    await waitFor(() => log(logFile).some((l) => l.n === 3001 && l.event === 'end'), 40_000, 'the job to end');
    await new Promise((resolve) => setTimeout(resolve, 6500)); // a second start would show up here
    expect(
      log(logFile)
        .filter((l) => l.n === 3001)
        .map((l) => `${l.event} ${l.worker}`),
    ).toEqual(['start first', 'end first']);
  });

  test('a run is saved as it ended: a lock renewal landing during the save does not lock the finished job again', async () => {
    // What a worker's heartbeat did: agenda released the lock and saved the job; a renewal answered while the
    // save waited for its connection and put the lock back on the job's attributes. The finished job then
    // kept a lock, and once that lock was old enough a worker claimed the job and ran it a second time.
    const enqueuer = jobsWith(recordingJob({ logFile: path.join(dir, 'unused.log'), worker: 'parent' }));
    await t.db.transaction((tx) => enqueuer.enqueue(tx, 'test.record', { n: 4001 }));
    const row = (await jobRows('test.record')).find((r) => (r.data as { n: number }).n === 4001)!;
    const startedAt = new Date(Date.now() - 20_000);
    const attrs = {
      _id: row.id,
      name: row.name,
      nextRunAt: null,
      lockedAt: undefined as Date | undefined,
      lastRunAt: startedAt,
      lastFinishedAt: new Date(),
      failCount: 0,
    } as unknown as Parameters<TypeormJobRepository['saveJobState']>[0];
    const repository = new TypeormJobRepository(t.db);
    const saving = repository.saveJobState(attrs);
    attrs.lockedAt = startedAt; // the late renewal
    await saving;
    const saved = (await jobRows('test.record')).find((r) => r.id === row.id)!;
    expect({ lockedAt: saved.lockedAt, nextRunAt: saved.nextRunAt }).toEqual({ lockedAt: null, nextRunAt: null });
    // Not claimable, whatever the lock lifetime: no worker runs it again.
    const window = { scan: new Date(), deadline: new Date(Date.now() + 3600_000) };
    expect(await t.db.read((tx) => claimableIds(tx, 'test.record', window, 100))).not.toContain(row.id);
    await t.db.transaction((tx) => tx.delete(JobRow, { id: row.id }));
  });

  test('a worker stopped while it is busy logs nothing at error level, leaves no job locked, and its connection closes cleanly', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const db = await openDatabase(t.dbConfig, entities, migrations);
    const slow = defineJob({
      name: 'test.busy',
      payload: z.strictObject({ n: z.number() }),
      concurrency: 4,
      handle: async () => void (await new Promise((resolve) => setTimeout(resolve, 30))),
    });
    const jobs = jobsOn({ db, logger }, slow);
    await db.transaction((tx) =>
      jobs.enqueueMany(
        tx,
        'test.busy',
        Array.from({ length: 400 }, (_, n) => ({ payload: { n } })),
      ),
    );
    await jobs.startWorker();
    await waitFor(async () => (await jobRows('test.busy')).some((row) => row.lastFinishedAt !== null), 10_000, 'the worker to be busy');
    await jobs.stopWorker(5000);
    await db.close();
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything still running after the close would fail and log here
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect((await jobRows('test.busy')).filter((row) => row.lockedAt !== null)).toEqual([]);
    await t.db.transaction((tx) => tx.delete(JobRow, { name: 'test.busy' }));
  });
});
