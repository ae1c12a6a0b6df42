import type { Database, Tx } from '../database';
import { conflict, notFound } from '../http/app-error';
import type { PageQuery } from '../http/paginate';
import { COMPLETED, JobRow } from './job.entity';
import type { Jobs } from './jobs';

/**
 * A job row as the operators' console sees it, one state each:
 * - `running`: a worker holds its lock (claimed or running; a lock older than the lock lifetime is a
 *   dead worker's, and another worker takes the job over);
 * - `cancelled`: an operator cancelled it (agenda's `disabled`: no worker claims it);
 * - `given_up`: it failed and is not tried again: its attempts are used up (the backoff declined
 *   another retry, or a PermanentJobError gave up at once); a recurring job whose retries are used up
 *   still runs at its next scheduled time, and counts as given up until a run goes through;
 * - `failed`: its last attempt failed and a retry is scheduled (at `nextRunAt`);
 * - `due`: to run now (a backlog while it waits);
 * - `scheduled`: to run later;
 * - `completed`: it ran and went through (a one-off job keeps its row).
 */
export const JOB_STATES = ['due', 'scheduled', 'running', 'failed', 'given_up', 'cancelled', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobNameSummary {
  name: string;
  recurring: boolean;
  maxAttempts: number;
  counts: Record<JobState, number>;
  /** The earliest next run among the jobs due now (waiting for a worker, failed ones' retries included). */
  oldestDueAt: Date | null;
  /** How long that job has been waiting: now − oldestDueAt, 0 when nothing is due. */
  lagMs: number;
}

export interface JobView {
  row: JobRow;
  state: JobState;
  recurring: boolean;
  maxAttempts: number;
}

/** What an operator asks of the jobs table: a summary per name, the jobs of a name or state, and retry or cancel one. */
export class JobConsole {
  constructor(private readonly deps: { db: Database; jobs: Pick<Jobs, 'definedNames'>; now?: () => Date }) {}

  /**
   * Agenda polls on real time (a job is due when its next run is at or before the wall clock), so due
   * and lag are read against it, not against the business clock.
   */
  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** One row per job name, every defined name included (a name with no jobs counts zeros). */
  async summary(): Promise<JobNameSummary[]> {
    const now = this.now();
    const state = this.stateSql();
    return this.deps.db.read(async (tx) => {
      const grouped = await tx
        .createQueryBuilder(JobRow, 'j')
        .select('j.name', 'name')
        .addSelect(state.sql, 'state')
        .addSelect('COUNT(*)', 'count')
        .setParameters({ ...state.params, now })
        .groupBy('j.name')
        .addGroupBy('state')
        .getRawMany<{ name: string; state: JobState; count: number | string }>();
      const byName = new Map<string, JobNameSummary>();
      const entry = (name: string) => {
        let summary = byName.get(name);
        if (!summary) {
          const defined = this.defined(name);
          summary = { name, ...defined, counts: zeroCounts(), oldestDueAt: null, lagMs: 0 };
          byName.set(name, summary);
        }
        return summary;
      };
      for (const { name } of this.deps.jobs.definedNames()) entry(name);
      for (const row of grouped) entry(row.name).counts[row.state] += Number(row.count);
      for (const summary of byName.values()) {
        if (summary.counts.due + summary.counts.failed === 0) continue;
        summary.oldestDueAt = await oldestWaiting(tx, summary.name, now);
        summary.lagMs = lagOf(summary.oldestDueAt, now);
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /**
   * The lag of each defined job name, as `summary` gives it, without its counts: what /metrics and the front page
   * read every few seconds. Counting reads the whole table, where finished jobs pile up by the pledge; this is one
   * indexed read per name.
   */
  async lags(): Promise<{ name: string; lagMs: number }[]> {
    const now = this.now();
    return this.deps.db.read(async (tx) => {
      const lags: { name: string; lagMs: number }[] = [];
      for (const { name } of this.deps.jobs.definedNames()) lags.push({ name, lagMs: lagOf(await oldestWaiting(tx, name, now), now) });
      return lags;
    });
  }

  /** The jobs of a name and/or a state, a page at a time: the backlog oldest first, failures newest first. */
  async list(query: PageQuery & { name?: string; state?: JobState }): Promise<{ items: JobView[]; total: number }> {
    const now = this.now();
    const state = this.stateSql();
    return this.deps.db.read(async (tx) => {
      const qb = tx
        .createQueryBuilder(JobRow, 'j')
        .addSelect(state.sql, 'j_state')
        .setParameters({ ...state.params, now });
      if (query.name) qb.andWhere('j.name = :name', { name: query.name });
      if (query.state) qb.andWhere(`${state.sql} = :state`, { state: query.state });
      const order = ORDER_BY[query.state ?? 'all'];
      qb.orderBy(order.column, order.direction).addOrderBy('j.id', 'ASC');
      const total = await qb.getCount();
      const { entities, raw } = await qb.offset(query.offset).limit(query.limit).getRawAndEntities<{ j_id: string; j_state: JobState }>();
      const states = new Map(raw.map((r) => [r.j_id, r.j_state]));
      return { items: entities.map((row) => this.view(row, states.get(row.id)!)), total };
    });
  }

  async get(id: string): Promise<JobView> {
    return this.deps.db.read((tx) => this.find(tx, id));
  }

  /**
   * Runs a failed, given-up or cancelled job again now, with its attempts from the start (the cause has
   * been dealt with: it gets its retries again). Its last error stays to be read until a run goes
   * through. A running job cannot be retried (409 job_running), nor one that has not failed
   * (409 job_not_failed: it runs on its own).
   */
  async retry(id: string): Promise<JobView> {
    return this.deps.db.transaction(async (tx) => {
      const job = await this.find(tx, id);
      if (job.state === 'running') throw conflict('job_running', 'The job is running now; wait for its outcome.');
      if (!['failed', 'given_up', 'cancelled'].includes(job.state))
        throw conflict('job_not_failed', `The job is ${job.state}, not failed: it runs on its own.`);
      // Compare-and-set: a worker may have claimed it since it was read.
      const { affected } = await tx
        .createQueryBuilder()
        .update(JobRow)
        .set({ nextRunAt: this.now(), failCount: 0, disabled: false })
        .where('id = :id AND locked_at IS NULL', { id })
        .execute();
      if (!affected) throw conflict('job_running', 'The job is running now; wait for its outcome.');
      return this.find(tx, id);
    });
  }

  /**
   * Cancels a job that has not run yet, is waiting for a retry, or was given up: no worker takes it any
   * more (its row stays, as `cancelled`, and retry brings it back). A running job cannot be cancelled
   * (409 job_running), nor a completed one (409 job_finished), nor a recurring one (409 job_recurring:
   * every worker declares it again at start-up). Cancelling a cancelled job changes nothing.
   */
  async cancel(id: string): Promise<JobView> {
    return this.deps.db.transaction(async (tx) => {
      const job = await this.find(tx, id);
      if (job.state === 'cancelled') return job;
      if (job.state === 'running') throw conflict('job_running', 'The job is running now and cannot be cancelled.');
      if (job.state === 'completed') throw conflict('job_finished', 'The job has run already.');
      if (job.recurring) throw conflict('job_recurring', 'A recurring job cannot be cancelled: every worker declares it again when it starts.');
      // Compare-and-set against a worker claiming it at this moment (a claim checks `disabled` too).
      const { affected } = await tx
        .createQueryBuilder()
        .update(JobRow)
        .set({ disabled: true })
        .where('id = :id AND locked_at IS NULL AND disabled = :off', { id, off: false })
        .execute();
      if (!affected) throw conflict('job_running', 'The job is running now and cannot be cancelled.');
      return this.find(tx, id);
    });
  }

  private async find(tx: Tx, id: string): Promise<JobView> {
    const state = this.stateSql();
    const { entities, raw } = await tx
      .createQueryBuilder(JobRow, 'j')
      .addSelect(state.sql, 'j_state')
      .setParameters({ ...state.params, now: this.now() })
      .where('j.id = :id', { id })
      .getRawAndEntities<{ j_state: JobState }>();
    if (entities.length === 0) throw notFound('The job');
    return this.view(entities[0], raw[0].j_state);
  }

  private view(row: JobRow, state: JobState): JobView {
    return { row, state, ...this.defined(row.name) };
  }

  private defined(name: string): { recurring: boolean; maxAttempts: number } {
    const defined = this.deps.jobs.definedNames().find((d) => d.name === name);
    return { recurring: defined?.recurring ?? false, maxAttempts: defined?.maxAttempts ?? 0 };
  }

  /**
   * The state of a row as SQL, so that counts, filters and pages are the database's work. Given up: a
   * failure with no next run (the backoff declined another retry), or a recurring job that failed more
   * often than it is retried (its next run is the next scheduled one).
   */
  private stateSql(): { sql: string; params: Record<string, unknown> } {
    const params: Record<string, unknown> = { stOn: true, off: false };
    const exhausted = this.deps.jobs
      .definedNames()
      .filter((d) => d.recurring)
      .map((d, i) => {
        params[`stName${i}`] = d.name;
        params[`stMax${i}`] = d.maxAttempts;
        return ` OR (j.name = :stName${i} AND j.fail_count >= :stMax${i})`;
      })
      .join('');
    const sql = `(CASE
      WHEN j.locked_at IS NOT NULL THEN 'running'
      WHEN j.disabled = :stOn THEN 'cancelled'
      WHEN ${COMPLETED} THEN 'completed'
      WHEN j.fail_count > 0 AND (j.next_run_at IS NULL${exhausted}) THEN 'given_up'
      WHEN j.fail_count > 0 THEN 'failed'
      WHEN j.next_run_at <= :now THEN 'due'
      ELSE 'scheduled' END)`;
    return { sql, params };
  }
}

/**
 * When the longest-waiting job of `name` came due: the earliest next run among jobs unlocked, not cancelled and due
 * by `now` (first runs and retries alike); null when none waits. One read through ix_jobs_claim (name, next_run_at).
 */
async function oldestWaiting(tx: Tx, name: string, now: Date): Promise<Date | null> {
  const oldest = await tx
    .createQueryBuilder(JobRow, 'j')
    .where('j.name = :name AND j.locked_at IS NULL AND j.disabled = :off AND j.next_run_at <= :now', { name, off: false, now })
    .orderBy('j.next_run_at', 'ASC')
    .limit(1)
    .getOne();
  return oldest?.nextRunAt ?? null;
}

function lagOf(oldestDueAt: Date | null, now: Date): number {
  return oldestDueAt ? Math.max(0, now.getTime() - oldestDueAt.getTime()) : 0;
}

const ORDER_BY: Record<JobState | 'all', { column: string; direction: 'ASC' | 'DESC' }> = {
  due: { column: 'j.next_run_at', direction: 'ASC' },
  scheduled: { column: 'j.next_run_at', direction: 'ASC' },
  failed: { column: 'j.next_run_at', direction: 'ASC' },
  running: { column: 'j.locked_at', direction: 'ASC' },
  given_up: { column: 'j.failed_at', direction: 'DESC' },
  cancelled: { column: 'j.created_at', direction: 'DESC' },
  completed: { column: 'j.last_finished_at', direction: 'DESC' },
  all: { column: 'j.created_at', direction: 'DESC' },
};

function zeroCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}
