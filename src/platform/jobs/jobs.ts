import { Agenda, exponential, type BackoffStrategy, type Job } from 'agenda';
import { hostname } from 'node:os';
import type { z } from 'zod';
import type { Database, Tx } from '../database';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { Metrics } from '../http/metrics';
import { JobRow } from './job.entity';
import { TypeormBackend } from './job-repository';

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
}

/** Jobs one worker runs at once, all names together. */
const MAX_CONCURRENCY = 20;

export class Jobs {
  private readonly definitions = new Map<string, JobDefinition<any>>();
  private agenda: Agenda | undefined;

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
    await this.db.insertRows(
      tx,
      'jobs',
      jobs.map((job) => ({
        id: newId(), name, priority: 0, next_run_at: job.runAt ?? now, type: 'normal', dedupe_key: job.key === undefined ? null : `${name}:${job.key}`,
        fail_count: 0, data: JSON.stringify(definition.payload.parse(job.payload)), disabled: 0, created_at: now,
      })),
      // A keyed job already enqueued stays as it is.
      { ignoreDuplicates: true },
    );
  }

  /** The payloads of the jobs of this name still to run: waiting, being retried, or running now. */
  async pendingPayloads(tx: Tx, name: string): Promise<unknown[]> {
    const rows = await tx.createQueryBuilder(JobRow, 'j').where('j.name = :name AND j.next_run_at IS NOT NULL AND j.disabled = :disabled', { name, disabled: false }).getMany();
    return rows.map((row) => row.data);
  }

  get workerRunning(): boolean {
    return this.agenda !== undefined;
  }

  /** Starts polling for due jobs in this process (the worker role). */
  async startWorker(): Promise<void> {
    if (this.agenda) return;
    const agenda = new Agenda({
      backend: new TypeormBackend(this.db),
      name: `${hostname()}:${process.pid}`,
      processEvery: this.options.pollIntervalMs,
      defaultLockLifetime: this.options.lockLifetimeMs,
      maxConcurrency: MAX_CONCURRENCY,
      // Claim no more jobs than this worker can run at once: claiming ahead costs a transaction per job,
      // competes with the API for connections, and hides the jobs from other workers. And agenda 6 drops
      // a claimed job whose lock expired while it waited for a free slot without giving back its place
      // in the lock counts: enough of those and the worker never claims a job again (seen under load).
      lockLimit: MAX_CONCURRENCY,
    });
    agenda.on('error', (error: Error) => this.logger.error({ err: error }, 'job processing error'));
    for (const definition of this.definitions.values()) {
      agenda.define(definition.name, (job: Job) => this.run(definition, job), {
        concurrency: definition.concurrency ?? 5,
        // A claimed job waiting for a free slot still ages its lock: claim only what can start now.
        lockLimit: definition.concurrency ?? 5,
        backoff: retryUnlessPermanent(exponential({ delay: definition.retryDelayMs ?? 1000, maxDelay: definition.maxRetryDelayMs ?? 10 * 60_000, maxRetries: definition.maxRetries ?? 5, jitter: 0.2 })),
      });
    }
    await agenda.start();
    for (const definition of this.definitions.values()) {
      if (definition.schedule) {
        await agenda.every(definition.schedule.cron, definition.name, definition.schedule.payload, { timezone: definition.schedule.timezone });
      }
    }
    this.agenda = agenda;
  }

  /** Runs every job that is due now, waits until none is left (or `timeoutMs` passes), then stops. For the CLI. */
  async runDueJobs(timeoutMs: number): Promise<{ remaining: number; pending: JobRow[] }> {
    const wasRunning = this.workerRunning;
    await this.startWorker();
    const deadline = Date.now() + timeoutMs;
    let remaining = await this.countDue();
    while (remaining > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      remaining = await this.countDue();
    }
    if (!wasRunning) await this.stopWorker();
    const pending = remaining === 0 ? [] : await this.db.read((tx) => dueJobs(tx).getMany());
    return { remaining, pending };
  }

  /** Jobs due now, running or waiting; a job waiting to be retried later is not due. */
  countDue(): Promise<number> {
    return this.db.read((tx) => dueJobs(tx).getCount());
  }

  /**
   * Stops taking new jobs, lets running ones finish for up to `graceMs`, then releases the locks of
   * any still running so another worker takes them over.
   */
  async stopWorker(graceMs = 10_000): Promise<void> {
    const agenda = this.agenda;
    if (!agenda) return;
    this.agenda = undefined;
    const result = await agenda.drain({ timeout: graceMs, closeConnection: false });
    if (result.timedOut) {
      this.logger.warn({ running: result.running }, 'jobs still running at shutdown; their locks will expire and another worker will take them over');
    }
  }

  private async run(definition: JobDefinition<any>, job: Job): Promise<void> {
    const jobId = String(job.attrs._id);
    const logger = this.logger.child({ job: definition.name, jobId });
    const endTimer = this.metrics.jobDuration.startTimer({ job: definition.name });
    const parsed = definition.payload.safeParse(job.attrs.data);
    try {
      if (!parsed.success) throw new PermanentJobError(`invalid payload for ${definition.name}: ${parsed.error.message}`);
      await definition.handle(parsed.data, { jobId, attempt: (job.attrs.failCount ?? 0) + 1, logger });
      this.metrics.jobRuns.inc({ job: definition.name, outcome: 'succeeded' });
    } catch (error) {
      this.metrics.jobRuns.inc({ job: definition.name, outcome: 'failed' });
      logger.warn({ err: error }, 'job failed');
      throw error;
    } finally {
      endTimer();
    }
  }
}

/** A failure that retrying cannot fix (a payload that does not fit its schema): the job is left failed at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

function retryUnlessPermanent(strategy: BackoffStrategy): BackoffStrategy {
  return (context) => (context.error instanceof PermanentJobError ? null : strategy(context));
}

function dueJobs(tx: Tx) {
  return tx.createQueryBuilder(JobRow, 'j').where('j.next_run_at <= :now AND j.disabled = :disabled', { now: new Date(), disabled: false });
}
