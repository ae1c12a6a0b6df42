import { Agenda, InMemoryNotificationChannel, exponential, toJobId, type BackoffStrategy, type Job, type JobParameters } from 'agenda';
import { hostname } from 'node:os';
import { In } from 'typeorm';
import type { Clock } from '../clock';
import type { z } from 'zod';
import { type Database, type Tx, isConnectionLost } from '../database';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { Metrics } from '../http/metrics';
import { COMPLETED, JobRow } from './job.entity';
import { TypeormBackend, type TypeormJobRepository } from './job-repository';

/**
 * A job: a stable name (a public contract stored in rows: never rename one), a JSON payload checked
 * by a schema, and a thin handler that calls one service method. Handlers must be idempotent: a job
 * may run again after a crash, or be retried after a failure.
 */
export interface JobDefinition<P = unknown> {
  name: string;
  payload: z.ZodType<P>;
  handle(payload: P, context: { jobId: string; attempt: number; logger: Logger }): Promise<void>;
  /** Recurring: a cron expression evaluated in the given IANA zone (the business runs on Asia/Shanghai time). */
  schedule?: { cron: string; timezone: string; payload: P };
  /** Retries with exponential back-off before the job is left failed. Default 5. */
  maxRetries?: number;
  /** The first retry's delay, doubling each time up to maxRetryDelayMs. Defaults 1 s and 10 min. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How many of this job one worker runs at once. Default 5. */
  concurrency?: number;
  /**
   * Jobs of this name due together run together: with each job agenda claims, the worker claims up to
   * `size - 1` more that are due and hands all their payloads to `handle`, in one call (one transaction
   * for a hundred rows instead of a job run, and three transactions of bookkeeping, per row). It returns
   * each payload's outcome: undefined when done, the error otherwise (that job alone is retried). When
   * it throws, each payload is run again on its own with the definition's `handle`, so that one bad row
   * never holds back the rest.
   */
  batch?: { size: number; handle(payloads: P[], context: { logger: Logger }): Promise<readonly unknown[]> };
  /**
   * Completed runs of this name are deleted some days after they finish (`purgeFinished`): for names that leave a row
   * per pledge, payment, refund or box, whose finished rows nothing reads and whose keys are never enqueued again.
   * Failed, given-up and cancelled jobs are kept for the operators.
   */
  purgeFinished?: boolean;
}

export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

export interface EnqueueOptions {
  /** When to run it; default now. */
  runAt?: Date;
  /** At most one job with this name and key is ever enqueued: later enqueues with the same key are ignored. */
  key?: string;
}

export interface JobsOptions {
  pollIntervalMs: number;
  lockLifetimeMs: number;
  /** Jobs one worker runs at once, all names together. Default 20. */
  concurrency?: number;
}

export class Jobs {
  private readonly definitions = new Map<string, JobDefinition<any>>();
  private agenda: Agenda | undefined;
  private backend: TypeormBackend | undefined;
  /** Runs not finished yet, by their job's id: what a stop waits for, and never gives back. */
  private readonly running = new Map<string, { stopHeartbeat(): void }>();
  private readonly refills = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: JobsOptions,
  ) {}

  register(...definitions: JobDefinition<any>[]): void {
    for (const d of definitions) {
      if (this.definitions.has(d.name)) throw new Error(`job ${d.name} is defined twice`);
      this.definitions.set(d.name, d);
    }
  }

  /**
   * Schedules a job inside the caller's transaction: if the transaction rolls back, the job was never
   * scheduled; if it commits, the job will run.
   */
  async enqueue<P>(tx: Tx, name: string, payload: P, options: EnqueueOptions = {}): Promise<void> {
    await this.enqueueMany(tx, name, [{ payload, ...options }]);
  }

  /** Several jobs of one name, in one multi-row INSERT (a batch of pledges schedules its expiries together). */
  async enqueueMany<P>(tx: Tx, name: string, jobs: readonly ({ payload: P } & EnqueueOptions)[]): Promise<void> {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`no job named ${name} is defined`);
    const now = new Date();
    await this.db.insertEntities(
      tx,
      JobRow,
      jobs.map((job) =>
        Object.assign(new JobRow(), {
          id: newId(),
          name,
          nextRunAt: job.runAt ?? now,
          dedupeKey: job.key === undefined ? null : `${name}:${job.key}`,
          data: definition.payload.parse(job.payload),
          createdAt: now,
        }),
      ),
      // A keyed job already enqueued stays as it is.
      { ignoreDuplicates: true },
    );
  }

  /**
   * What the operators' console says of each job name: whether it recurs (cron) and how many attempts a
   * run gets before it is given up (the first and its retries; a PermanentJobError gives up at once).
   */
  definedNames(): { name: string; recurring: boolean; maxAttempts: number }[] {
    return [...this.definitions.values()]
      .map((d) => ({ name: d.name, recurring: d.schedule !== undefined, maxAttempts: (d.maxRetries ?? DEFAULT_MAX_RETRIES) + 1 }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The payloads of the jobs of this name still to run: waiting, being retried, or running now. */
  async pendingPayloads(tx: Tx, name: string): Promise<unknown[]> {
    const rows = await tx
      .createQueryBuilder(JobRow, 'j')
      .where('j.name = :name AND j.next_run_at IS NOT NULL AND j.disabled = :disabled', { name, disabled: false })
      .getMany();
    return rows.map((row) => row.data);
  }

  /**
   * Where keyed jobs of one name stand (enqueued with `key`), by key: `nextRunAt` while it will run (is due,
   * waits for a retry, or runs now), null once it has finished or given up. A key never enqueued is absent.
   */
  async scheduleOf(tx: Tx, name: string, keys: readonly string[]): Promise<Map<string, { nextRunAt: Date | null; failCount: number }>> {
    const schedule = new Map<string, { nextRunAt: Date | null; failCount: number }>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await tx.find(JobRow, {
        select: { dedupeKey: true, nextRunAt: true, disabled: true, failCount: true },
        where: { dedupeKey: In(unique.slice(i, i + 500).map((key) => `${name}:${key}`)) },
      });
      for (const row of rows) {
        schedule.set(row.dedupeKey!.slice(name.length + 1), { nextRunAt: row.disabled ? null : row.nextRunAt, failCount: row.failCount });
      }
    }
    return schedule;
  }

  /**
   * Deletes the completed jobs of the names that ask for it (`purgeFinished`) which finished before `finishedBefore`,
   * a thousand per transaction (found through ix_jobs_finished: name, last_finished_at); returns how many.
   */
  async purgeFinished(finishedBefore: Date): Promise<number> {
    const completed = `name = :name AND last_finished_at < :before AND ${COMPLETED}`;
    let purged = 0;
    for (const { name } of [...this.definitions.values()].filter((d) => d.purgeFinished)) {
      const where = { name, before: finishedBefore, off: false };
      for (;;) {
        const rows = await this.db.read((tx) =>
          tx.createQueryBuilder(JobRow, 'j').select('j.id', 'id').where(completed, where).limit(PURGE_BATCH).getRawMany<{ id: string }>(),
        );
        if (rows.length === 0) break;
        const ids = rows.map((r) => r.id);
        // Still completed when deleted: the condition is checked again on the rows themselves.
        const { affected } = await this.db.transaction((tx) =>
          tx.createQueryBuilder().delete().from(JobRow).where('id IN (:...ids)', { ids }).andWhere(completed, where).execute(),
        );
        purged += affected ?? 0;
        if (rows.length < PURGE_BATCH) break;
      }
    }
    return purged;
  }

  get workerRunning(): boolean {
    return this.agenda !== undefined;
  }

  /**
   * Starts polling for due jobs in this process (the worker role). Each poll claims, per job name, as
   * many due jobs as the name has free slots; and whenever a job ends, its name is polled again at
   * once, so due work runs back to back at the rate the database allows, not a few jobs per poll.
   */
  async startWorker(): Promise<void> {
    if (this.agenda) return;
    const maxConcurrency = this.options.concurrency ?? 20;
    const backend = new TypeormBackend(this.db, { names: [...this.definitions.keys()], snapshotMs: this.options.pollIntervalMs / 2 });
    const channel = new InMemoryNotificationChannel();
    const agenda = new Agenda({
      backend,
      notificationChannel: channel,
      name: `${hostname()}:${process.pid}`,
      processEvery: this.options.pollIntervalMs,
      defaultLockLifetime: this.options.lockLifetimeMs,
      maxConcurrency,
      // Claim no more jobs than this worker can run at once: claiming ahead costs a transaction per job,
      // competes with the API for connections, and hides the jobs from other workers. And agenda 6 drops
      // a claimed job whose lock expired while it waited for a free slot without giving back its place
      // in the lock counts: enough of those and the worker never claims a job again (seen under load).
      lockLimit: maxConcurrency,
    });
    // A claim that lost its database connection is tried again at the next poll: a warning. Anything else is a fault to look at.
    agenda.on('error', (error: Error) => this.logger[isConnectionLost(error) ? 'warn' : 'error']({ err: error }, 'job processing error'));
    // A job ended: a slot of its name is free, so look for the next due one now rather than at the next poll.
    agenda.on('complete', (job: Job) => {
      // Agenda has saved the job (finished, or due again for a retry): only now may its lock lapse. Stopped
      // when the handler returned, the lock could expire before the save on a busy machine, and another
      // worker start the finished job again.
      const jobId = String(job.attrs._id);
      this.running.get(jobId)?.stopHeartbeat();
      this.running.delete(jobId);
      backend.repository.jobEnded(job.attrs.name);
      this.refill(channel, job.attrs.name);
    });
    for (const definition of this.definitions.values()) {
      const concurrency = Math.min(definition.concurrency ?? 5, maxConcurrency);
      agenda.define(definition.name, (job: Job) => this.run(definition, job, backend.repository), {
        concurrency,
        // A claimed job waiting for a free slot still ages its lock: claim only what can start now.
        lockLimit: concurrency,
        backoff: backoffOf(definition),
      });
    }
    await agenda.start();
    for (const definition of this.definitions.values()) {
      if (definition.schedule) {
        await agenda.every(definition.schedule.cron, definition.name, definition.schedule.payload, { timezone: definition.schedule.timezone });
      }
    }
    this.agenda = agenda;
    this.backend = backend;
  }

  /** One poll of a name, coalesced: a hundred jobs ending together ask for one. */
  private refill(channel: InMemoryNotificationChannel, name: string): void {
    if (this.refills.has(name)) return;
    this.refills.add(name);
    // After the job has left agenda's running and locked counts (they are updated once 'complete' returns).
    setImmediate(() => {
      this.refills.delete(name);
      if (channel.state !== 'connected') return;
      // No particular job: the poll takes whichever of the name are due.
      channel
        .publish({ jobId: toJobId(name), jobName: name, nextRunAt: new Date(), priority: 0, timestamp: new Date() })
        .catch((error: unknown) => this.logger.warn({ err: error, job: name }, 'job refill failed; the next poll takes the jobs'));
    });
  }

  /** Runs every job that is due now, waits until none is left (or `timeoutMs` passes), then stops. For the CLI. */
  async runDueJobs(timeoutMs: number): Promise<{ remaining: number; pending: JobRow[] }> {
    const wasRunning = this.workerRunning;
    await this.startWorker();
    const deadline = Date.now() + timeoutMs;
    let remaining = await this.countDue();
    while (remaining > 0 && Date.now() < deadline) {
      // Checked no more often than the worker polls, and at least every 100 ms.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, this.options.pollIntervalMs)));
      remaining = await this.countDue();
    }
    if (!wasRunning) await this.stopWorker();
    const pending = remaining === 0 ? [] : await this.db.read((tx) => dueJobs(tx, this.options.lockLifetimeMs).getMany());
    return { remaining, pending };
  }

  /**
   * Runs every one-off job due by `clock`, a clock ahead of the real one (the tests' clock, the demand
   * simulation's), and the jobs those jobs schedule, until none is due by it. Agenda polls on real time,
   * so job rows due by `clock` are first brought forward to the real now. Recurring (cron) jobs follow
   * the real clock and are left alone.
   */
  async runDueBy(clock: Clock, timeoutMs: number): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const realNow = new Date();
      const at = clock.now();
      await this.db.transaction((tx) =>
        tx
          .createQueryBuilder()
          .update(JobRow)
          .set({ nextRunAt: realNow })
          .where(`${ONE_OFF} AND next_run_at > :now`, { due: at, now: realNow, off: false })
          .execute(),
      );
      const { remaining } = await this.runDueJobs(timeoutMs);
      if (remaining > 0) throw new Error(`${remaining} jobs still due after ${timeoutMs / 1000} s`);
      if ((await this.countDueBy(clock.now())) === 0) return;
    }
    const stuck = await this.db.read((tx) => tx.createQueryBuilder(JobRow, 'j').where(ONE_OFF, { due: clock.now(), off: false }).getMany());
    throw new Error(`jobs kept coming due: ${stuck.map((j) => `${j.name} (${j.failCount} failures: ${j.failReason})`).join('; ')}`);
  }

  /** One-off jobs due by `at` (see runDueBy). */
  countDueBy(at: Date): Promise<number> {
    return this.db.read((tx) => tx.createQueryBuilder(JobRow, 'j').where(ONE_OFF, { due: at, off: false }).getCount());
  }

  /** Jobs due now, running or waiting; a job waiting to be retried later is not due. */
  countDue(): Promise<number> {
    return this.db.read((tx) => dueJobs(tx, this.options.lockLifetimeMs).getCount());
  }

  /**
   * Stops taking new jobs, lets running ones finish for up to `graceMs`, and gives back the jobs it had
   * claimed but not started; returns once this worker makes no more database calls, so the connection
   * may be closed next. Jobs still running after the grace keep their locks, which are no longer
   * renewed: another worker takes them over once the locks expire.
   */
  async stopWorker(graceMs = 10_000): Promise<void> {
    const agenda = this.agenda;
    const backend = this.backend;
    if (!agenda || !backend) return;
    this.agenda = undefined;
    this.backend = undefined;
    backend.repository.stopClaiming();
    const result = await agenda.drain({ timeout: graceMs, closeConnection: false });
    for (const run of this.running.values()) run.stopHeartbeat();
    await backend.repository.idle();
    await backend.repository.releaseUnstarted(new Set(this.running.keys()));
    if (result.timedOut) {
      this.logger.warn({ running: result.running }, 'jobs still running at shutdown; their locks will expire and another worker will take them over');
    }
  }

  private async run(definition: JobDefinition<any>, job: Job, repository: TypeormJobRepository): Promise<void> {
    const jobId = String(job.attrs._id);
    const heartbeat = new Heartbeat(repository, this.options.lockLifetimeMs, this.logger.child({ job: definition.name }));
    // A renewal that lands after agenda released the lock (the run ended meanwhile) must not take it back.
    heartbeat.hold([job.attrs], (lockedAt) => {
      if (job.attrs.lockedAt) job.attrs.lockedAt = lockedAt;
    });
    // The heartbeat stops once agenda has saved the job (its 'complete' event), not when the handler returns.
    this.running.set(jobId, heartbeat);
    if (!definition.batch) {
      const [error] = await this.runEach(definition, [job.attrs]);
      if (error !== undefined) throw error;
      return;
    }
    const now = new Date();
    const extras = await repository.claimDue(
      definition.name,
      definition.batch.size - 1,
      now,
      new Date(now.getTime() - this.options.lockLifetimeMs),
      String(job.attrs.lastModifiedBy ?? ''),
    );
    heartbeat.hold(extras);
    const [error, ...errors] = await this.runBatch(definition, [job.attrs, ...extras]);
    const backoff = backoffOf(definition);
    const finishedAt = new Date();
    await repository.finishClaimed(
      extras.map((extra, i) => ({
        id: String(extra._id),
        failure: errors[i] === undefined ? undefined : failureOf(definition, extra, errors[i], backoff, finishedAt),
      })),
      { lastRunAt: now, lastFinishedAt: finishedAt, lastModifiedBy: job.attrs.lastModifiedBy ?? null },
    );
    // Saved above: their locks are gone, not to be renewed. The claimed job's lock is held until agenda saves it ('complete').
    heartbeat.release(extras.map((extra) => String(extra._id)));
    if (error !== undefined) throw error;
  }

  /** The jobs of one batch: the definition's batch handler, or (when it throws) each job on its own. */
  private async runBatch(definition: JobDefinition<any>, jobs: JobParameters[]): Promise<unknown[]> {
    const parsed = jobs.map((job) => definition.payload.safeParse(job.data));
    if (parsed.some((p) => !p.success)) return this.runEach(definition, jobs);
    const endTimer = this.metrics.jobDuration.startTimer({ job: definition.name });
    try {
      const outcomes = await definition.batch!.handle(
        parsed.map((p) => p.data),
        { logger: this.logger.child({ job: definition.name }) },
      );
      outcomes.forEach((outcome, i) => this.recorded(definition, String(jobs[i]._id), outcome));
      return [...outcomes];
    } catch (error) {
      this.logger.warn({ err: error, job: definition.name, jobs: jobs.length }, 'batch failed; running its jobs one by one');
      return this.runEach(definition, jobs);
    } finally {
      endTimer();
    }
  }

  /** Each job through the definition's handler, one after the other; returns each one's error, or undefined. */
  private async runEach(definition: JobDefinition<any>, jobs: JobParameters[]): Promise<unknown[]> {
    const outcomes: unknown[] = [];
    for (const job of jobs) {
      const jobId = String(job._id);
      const endTimer = this.metrics.jobDuration.startTimer({ job: definition.name });
      const parsed = definition.payload.safeParse(job.data);
      let outcome: unknown;
      try {
        if (!parsed.success) throw new PermanentJobError(`invalid payload for ${definition.name}: ${parsed.error.message}`);
        await definition.handle(parsed.data, { jobId, attempt: (job.failCount ?? 0) + 1, logger: this.logger.child({ job: definition.name, jobId }) });
      } catch (error) {
        outcome = error;
      } finally {
        endTimer();
      }
      this.recorded(definition, jobId, outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private recorded(definition: JobDefinition<any>, jobId: string, error: unknown): void {
    this.metrics.jobRuns.inc({ job: definition.name, outcome: error === undefined ? 'succeeded' : 'failed' });
    if (error !== undefined) this.logger.warn({ err: error, job: definition.name, jobId }, 'job failed');
  }
}

/**
 * Keeps the locks of running jobs fresh (every quarter of the lock lifetime) for as long as they run:
 * a long job is never taken for a dead one and started a second time by another worker. A lock that
 * another worker has taken meanwhile (this one stalled past the lifetime) is left to it.
 */
class Heartbeat {
  private readonly locks: { ids: string[]; lockedAt: Date; onRenew?: (lockedAt: Date) => void }[] = [];
  private readonly timer: NodeJS.Timeout;
  private beating = false;

  constructor(
    private readonly repository: TypeormJobRepository,
    lockLifetimeMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.beat(), Math.max(100, lockLifetimeMs / 4));
  }

  hold(jobs: readonly JobParameters[], onRenew?: (lockedAt: Date) => void): void {
    // Jobs claimed together share their lock time: one UPDATE renews them all.
    const byLock = new Map<number, string[]>();
    for (const job of jobs) if (job.lockedAt) byLock.set(job.lockedAt.getTime(), [...(byLock.get(job.lockedAt.getTime()) ?? []), String(job._id)]);
    for (const [at, ids] of byLock) this.locks.push({ ids, lockedAt: new Date(at), onRenew });
  }

  /** Jobs saved as finished or due again: their locks are no longer this worker's to renew. */
  release(ids: readonly string[]): void {
    for (const lock of this.locks) lock.ids = lock.ids.filter((id) => !ids.includes(id));
  }

  stopHeartbeat(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    // One beat at a time: a beat slower than the interval overlapped the next, which renewed from the lock
    // time the first had just replaced, matched nothing, and left the database's lock to expire under a
    // running job (its own worker then claimed it again and ran it a second time).
    if (this.beating) return;
    this.beating = true;
    try {
      const now = new Date();
      for (const lock of this.locks) {
        try {
          const renewed = await this.repository.renewLocks(lock.ids, lock.lockedAt, now);
          if (renewed < lock.ids.length) this.logger.warn({ jobs: lock.ids.length, renewed }, 'a running job lost its lock to another worker');
          // The lock time moves only where the database moved it; a lock lost is not renewed in memory either.
          if (renewed > 0) {
            lock.lockedAt = now;
            lock.onRenew?.(now);
          }
        } catch (error) {
          this.logger.warn({ err: error }, 'could not renew the lock of a running job; retrying at the next beat');
        }
      }
    } finally {
      this.beating = false;
    }
  }
}

/** Completed jobs deleted per transaction by purgeFinished. */
const PURGE_BATCH = 1000;

/** Retries of a failed job before it is given up, unless its definition says otherwise. */
const DEFAULT_MAX_RETRIES = 5;

/** A failure that retrying cannot fix (a payload that does not fit its schema): the job is left failed at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

function retryUnlessPermanent(strategy: BackoffStrategy): BackoffStrategy {
  return (context) => (context.error instanceof PermanentJobError ? null : strategy(context));
}

function backoffOf(definition: JobDefinition<any>): BackoffStrategy {
  return retryUnlessPermanent(
    exponential({
      delay: definition.retryDelayMs ?? 1000,
      maxDelay: definition.maxRetryDelayMs ?? 10 * 60_000,
      maxRetries: definition.maxRetries ?? DEFAULT_MAX_RETRIES,
      jitter: 0.2,
    }),
  );
}

/** What agenda records for a failed run (Job.fail, then the retry it schedules), for a job of a batch. */
function failureOf(definition: JobDefinition<any>, job: JobParameters, error: unknown, backoff: BackoffStrategy, at: Date): Partial<JobRow> {
  const failCount = (job.failCount ?? 0) + 1;
  const err = error instanceof Error ? error : new Error(String(error));
  const delay = backoff({ attempt: failCount, error: err, jobName: definition.name, jobData: job.data });
  return { failCount, failedAt: at, failReason: err.message, nextRunAt: delay === null ? null : new Date(at.getTime() + delay) };
}

/** One-off jobs (not cron) due by `:due`. */
const ONE_OFF = 'next_run_at <= :due AND disabled = :off AND repeat_interval IS NULL';

/**
 * Due now, or running: a running one-off job has no next run (agenda clears it as the run starts), so without its
 * live lock it was not counted, and runDueJobs could stop while it ran and before the jobs it enqueues as it ends
 * (a campaign's close, then its settlement) were due: a MariaDB resilience run found a campaign left unsettled.
 */
function dueJobs(tx: Tx, lockLifetimeMs: number) {
  const now = new Date();
  return tx.createQueryBuilder(JobRow, 'j').where('j.disabled = :disabled AND (j.next_run_at <= :now OR j.locked_at > :liveSince)', {
    now,
    disabled: false,
    liveSince: new Date(now.getTime() - lockLifetimeMs),
  });
}
