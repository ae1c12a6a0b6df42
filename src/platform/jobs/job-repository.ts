import {
  computeJobState,
  toJobId,
  type AgendaBackend,
  type JobParameters,
  type JobRepository,
  type JobRepositoryOptions,
  type JobsOverview,
  type JobsQueryOptions,
  type JobsResult,
  type JobWithState,
  type RemoveJobsOptions,
} from 'agenda';
import { Sema } from 'async-sema';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { In, Not, type SelectQueryBuilder } from 'typeorm';
import { type Database, type Tx, storedTimestamp } from '../database';
import { newId } from '../ids';
import { JobRow } from './job.entity';

/**
 * agenda 6's storage contract on our own database, through TypeORM (agenda ships no MySQL or SQLite
 * backend). The one method that must be exactly right is getNextJobToRun: it is how a worker claims
 * a job, and two workers must never both claim the same one.
 */
/** Due and not locked. */
const DUE_AND_FREE = 'locked_at IS NULL AND next_run_at <= :scan';
/** Locked by a worker whose lock has expired (it died or hung): the job is taken over. */
const LOCK_EXPIRED = 'locked_at <= :deadline';
const CLAIMABLE = `((${DUE_AND_FREE}) OR ${LOCK_EXPIRED})`;

/** An operator may cancel a job between a worker's read and its claim: the claim checks again (it is a compare-and-set). */
const NOT_CANCELLED = 'disabled = :off';

/**
 * The jobs a worker should claim next: due and unlocked, or with an expired lock; earliest first (a running job's
 * next run is NULL, which sorts first on both databases). A plain read, no row locks: the compare-and-set UPDATE
 * that follows is what makes the claim atomic, on both databases (of two workers that read the same job, one claims
 * it and the other gets nothing this round). It read FOR UPDATE SKIP LOCKED before, and with the OR MariaDB read,
 * sorted and locked every job of the name on each claim: with some 18,000 pledge expiries queued, the claims filled
 * InnoDB's lock memory and the server aborted (a 20-minute soak).
 *
 * The two kinds are read apart, each through its own index: the due ones as a range of (name, next_run_at), the
 * expired locks as a range of locked_at (only running jobs have one). Read as one OR, MariaDB walked every job of the
 * name in index order, the finished ones first (their next_run_at is NULL): after a launch's 36,000 deposit
 * confirmations, 36,000 rows per claim, growing with every job that ever ran.
 */
export async function claimableIds(tx: Tx, name: string, window: { scan: Date; deadline: Date }, limit: number): Promise<string[]> {
  const earliest = (condition: string) =>
    tx
      .getRepository(JobRow)
      .createQueryBuilder('j')
      .select('j.id', 'id')
      .addSelect('j.next_run_at', 'nextRunAt')
      .where(`name = :name AND disabled = :disabled AND ${condition}`, { name, disabled: false, ...window })
      .orderBy('j.next_run_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string; nextRunAt: Date | string | null }>();
  const [due, expired] = await Promise.all([earliest(DUE_AND_FREE), earliest(LOCK_EXPIRED)]);
  const at = (job: { nextRunAt: Date | string | null }) => (job.nextRunAt === null ? -Infinity : storedTimestamp(job.nextRunAt).getTime());
  return [...due, ...expired]
    .sort((a, b) => at(a) - at(b))
    .slice(0, limit)
    .map((job) => job.id);
}

/**
 * Claim transactions a worker runs at once. Agenda polls every job name at once on a timer that does not wait for
 * the last poll: on a slow database (a loaded machine) polls overlapped, their claims took every connection of the
 * pool, and the jobs they claimed and the API's requests then waited behind the next polls' claims (seen as jobs
 * "cancelled after the lock lifetime" and reads hanging for minutes). So claims wait their turn for a few slots,
 * and a name already being claimed is not claimed again until that claim ends.
 */
const CLAIM_SLOTS = 3;

/**
 * Which of the worker's job names have a job to claim: ONE statement for all names (an indexed probe per name),
 * instead of a claim transaction per name per poll. Agenda polls every name on each tick; with ~40 names that was
 * ~40 transactions (4 statements each) every poll, most finding nothing: half of all statements the service sent
 * under a launch's load, and a tenth of a core on an idle service.
 */
export async function namesWithClaimableJobs(db: Database, names: readonly string[], window: { scan: Date; deadline: Date }): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  // Each name's probe is a range of (name, next_run_at) up to now, in a derived table of its own so that its LIMIT is
  // its own on both databases. Correlated with a list of names, MariaDB read each name's jobs from the first, the
  // finished ones included (their next_run_at is NULL). Expired locks are few (only running jobs hold one): one range.
  const due = names
    .map((_, i) => `SELECT name FROM (SELECT name FROM jobs WHERE name = ? AND next_run_at <= ? AND locked_at IS NULL AND disabled = 0 LIMIT 1) due${i}`)
    .join(' UNION ALL ');
  const { rows } = await db.read((tx) =>
    db.sql<{ name: string }>(tx, `${due} UNION ALL SELECT DISTINCT name FROM jobs WHERE locked_at <= ? AND disabled = 0`, [
      ...names.flatMap((name) => [name, window.scan]),
      window.deadline,
    ]),
  );
  return new Set(rows.map((r) => r.name).filter((name) => names.includes(name)));
}

export class TypeormJobRepository implements JobRepository {
  /** Jobs this worker claimed through agenda and has not finished or released. */
  private readonly held = new Set<string>();
  private readonly claimSlots = new Sema(CLAIM_SLOTS);
  /** Names with a claim in flight: a poll that comes while one is running skips the name (the running one continues). */
  private readonly claiming = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** The last answer of namesWithClaimableJobs, shared by the claims of one poll (see claimable). */
  private snapshot: { takenAt: number; names: Promise<Set<string>> } | undefined;
  /** Names to claim without asking the snapshot: a job of theirs just ended, and the next one may be due. */
  private readonly recheck = new Set<string>();

  /**
   * `names`: the job names this worker runs (any other name is claimed directly); `snapshotMs`: how long one
   * answer of which names have due jobs serves (half the poll interval: a poll's claims share one answer, the
   * next poll asks again, so a job enqueued meanwhile waits at most one poll, as it would anyway).
   */
  constructor(
    private readonly db: Database,
    private readonly polling: { names: readonly string[]; snapshotMs: number } = { names: [], snapshotMs: 0 },
  ) {}

  /** Whether a claim of `name` may find a job: false only when this poll's snapshot says none of its jobs is claimable. */
  private async claimable(name: string, window: { scan: Date; deadline: Date }): Promise<boolean> {
    if (!this.polling.names.includes(name) || this.recheck.delete(name)) return true;
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.takenAt >= this.polling.snapshotMs) {
      const names = namesWithClaimableJobs(this.db, this.polling.names, window);
      this.snapshot = { takenAt: now, names };
      // A failed read is not kept: the next claim asks again.
      names.catch(() => (this.snapshot = undefined));
    }
    return (await this.snapshot.names).has(name);
  }

  /** A job of `name` ended: its next claim asks the database, not the snapshot (the job may have left another due). */
  jobEnded(name: string): void {
    this.recheck.add(name);
  }

  /**
   * The worker is stopping: no new claims (a claim that was in flight gives its job straight back),
   * and `idle()` tells when the last database call of this worker has finished, so the connection can
   * close under none of them.
   */
  stopClaiming(): void {
    this.closing = true;
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Claimed and never started: given back at shutdown, so another worker takes them at once rather than after the lock lifetime. */
  async releaseUnstarted(started: ReadonlySet<string>): Promise<void> {
    const ids = [...this.held].filter((id) => !started.has(id));
    this.held.clear();
    if (ids.length > 0) await this.tracked(() => this.db.transaction((tx) => tx.update(JobRow, { id: In(ids) }, { lockedAt: null })));
  }

  private tracked<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.inFlight.add(promise);
    void promise.then(
      () => this.inFlight.delete(promise),
      () => this.inFlight.delete(promise),
    );
    return promise;
  }

  /**
   * Up to `limit` more due jobs of `name`, claimed for a batch run beside one agenda claimed. The
   * candidates are a random sample of the earliest due (so that workers claiming at the same moment
   * mostly pick different rows), taken with one compare-and-set UPDATE marked with a token of this
   * claim: the rows that carry the token are the ones this claim won, on both databases.
   */
  async claimDue(name: string, limit: number, lockedAt: Date, lockDeadline: Date, owner: string): Promise<JobParameters[]> {
    if (this.closing || limit <= 0) return [];
    const window = { scan: lockedAt, deadline: lockDeadline };
    const token = `${owner}#${randomUUID()}`;
    return this.tracked(() =>
      this.db.transaction(async (tx) => {
        const earliest = await claimableIds(tx, name, window, limit * 8);
        if (earliest.length === 0) return [];
        const sample = shuffled(earliest).slice(0, limit).sort();
        await tx
          .createQueryBuilder()
          .update(JobRow)
          .set({ lockedAt, lastModifiedBy: token })
          .where('id IN (:...sample)', { sample })
          .andWhere(CLAIMABLE, window)
          .andWhere(NOT_CANCELLED, { off: false })
          .execute();
        return (await tx.findBy(JobRow, { id: In(sample), lastModifiedBy: token })).map((row) => toParameters({ ...row, lastModifiedBy: owner }));
      }),
    );
  }

  /**
   * The heartbeat of running jobs: moves their locks to `now`, but only where the lock is still the one
   * this worker holds (`since`); returns how many it renewed. A job whose lock is renewed is never taken
   * over, however long it runs.
   */
  async renewLocks(ids: readonly string[], since: Date, now: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.tracked(() =>
      this.db.transaction((tx) =>
        tx.createQueryBuilder().update(JobRow).set({ lockedAt: now }).where('id IN (:...ids) AND locked_at = :since', { ids, since }).execute(),
      ),
    );
    return result.affected ?? 0;
  }

  /** The outcomes of the extra jobs of a batch run, their locks released: one UPDATE for all that succeeded, one per failure. */
  async finishClaimed(outcomes: readonly { id: string; failure?: Partial<JobRow> }[], finished: Partial<JobRow>): Promise<void> {
    const succeeded = outcomes.filter((o) => !o.failure).map((o) => o.id);
    if (outcomes.length === 0) return;
    await this.tracked(() =>
      this.db.transaction(async (tx) => {
        if (succeeded.length > 0) await tx.update(JobRow, { id: In(succeeded) }, { ...finished, failCount: 0, nextRunAt: null, lockedAt: null });
        for (const { id, failure } of outcomes) if (failure) await tx.update(JobRow, { id }, { ...finished, ...failure, lockedAt: null });
      }),
    );
  }

  async connect(): Promise<void> {
    // The connection belongs to the application; agenda only borrows it.
  }

  async getNextJobToRun(
    name: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options?: JobRepositoryOptions,
  ): Promise<JobParameters | undefined> {
    if (this.closing || this.claiming.has(name)) return undefined;
    this.claiming.add(name);
    await this.claimSlots.acquire();
    let job: JobParameters | undefined;
    try {
      if (this.closing) return undefined;
      const lockedAt = now ?? new Date();
      const window = { scan: nextScanAt, deadline: lockDeadline };
      job = await this.tracked(async () => {
        if (!(await this.claimable(name, window))) return undefined;
        return this.db.transaction(async (tx) => {
          const [id] = await claimableIds(tx, name, window, 1);
          if (!id) return undefined;
          // Compare-and-set: only claim the row if it is still claimable (another worker may have claimed it since).
          const claimed = await tx
            .createQueryBuilder()
            .update(JobRow)
            .set({ lockedAt, lastModifiedBy: options?.lastModifiedBy ?? null })
            .where('id = :id', { id })
            .andWhere(CLAIMABLE, window)
            .andWhere(NOT_CANCELLED, { off: false })
            .execute();
          if (!claimed.affected) return undefined;
          const found = await tx.findOneBy(JobRow, { id });
          return found ? toParameters(found) : undefined;
        });
      });
      // None left to claim: later claims of this poll skip the name.
      if (!job)
        void this.snapshot?.names.then(
          (names) => names.delete(name),
          () => undefined,
        );
    } finally {
      this.claimSlots.release();
      this.claiming.delete(name);
    }
    if (!job) return undefined;
    if (this.closing) {
      // Claimed while the worker began to stop: it would never start here.
      await this.unlockJob(job);
      return undefined;
    }
    this.held.add(String(job._id));
    return job;
  }

  async lockJob(job: JobParameters, options?: JobRepositoryOptions): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const { _id: id, name, nextRunAt } = job;
    return this.db.transaction(async (tx) => {
      const qb = tx
        .createQueryBuilder()
        .update(JobRow)
        .set({ lockedAt: new Date(), lastModifiedBy: options?.lastModifiedBy ?? null })
        .where('id = :id AND name = :name AND locked_at IS NULL AND disabled = :disabled', { id, name, disabled: false });
      if (nextRunAt) qb.andWhere('next_run_at = :next', { next: nextRunAt });
      else qb.andWhere('next_run_at IS NULL');
      const result = await qb.execute();
      if (!result.affected) return undefined;
      const row = await tx.findOneBy(JobRow, { id });
      return row ? toParameters(row) : undefined;
    });
  }

  async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    this.held.delete(String(job._id));
    await this.tracked(() =>
      this.db.transaction((tx) =>
        tx.createQueryBuilder().update(JobRow).set({ lockedAt: null }).where('id = :id AND next_run_at IS NOT NULL', { id: job._id }).execute(),
      ),
    );
  }

  async unlockJobs(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.held.delete(String(id));
    await this.tracked(() => this.db.transaction((tx) => tx.update(JobRow, { id: In(ids) }, { lockedAt: null })));
  }

  async saveJob<DATA = unknown>(job: JobParameters<DATA>, options?: JobRepositoryOptions): Promise<JobParameters<DATA>> {
    if (job.uniqueOpts?.debounce) throw new Error('debounced jobs are not supported by this backend: enqueue with a key instead');
    const lastModifiedBy = options?.lastModifiedBy ?? null;
    // What the job is now, not when a connection comes: the caller may change it meanwhile (see saveJobState).
    const columns = { ...definitionColumns(job), lastModifiedBy };
    const saved = await this.db.transaction(async (tx) => {
      if (job._id) {
        await tx.update(JobRow, { id: job._id, name: job.name }, columns);
        return tx.findOneBy(JobRow, { id: job._id });
      }
      const existing = await this.findExisting(tx, job);
      if (existing) {
        if (job.uniqueOpts?.insertOnly) return existing;
        // Every worker re-declares its recurring jobs at start-up. Unless the schedule itself changed, keep
        // the stored next run: a run that came due while no worker was up still happens (once), and a
        // restart never runs a job early or twice.
        const sameSchedule = existing.repeatInterval === columns.repeatInterval && existing.repeatTimezone === columns.repeatTimezone;
        if (job.type === 'single' && sameSchedule && existing.nextRunAt) delete columns.nextRunAt;
        await tx.update(JobRow, { id: existing.id }, columns);
        return tx.findOneBy(JobRow, { id: existing.id });
      }
      const row = tx.create(JobRow, {
        ...toColumns(job),
        id: newId(),
        dedupeKey: job.type === 'single' ? `single:${job.name}` : null,
        lastModifiedBy,
        createdAt: new Date(),
      });
      // OR IGNORE: a second worker declaring the same recurring job at the same moment is not an error.
      await tx.createQueryBuilder().insert().into(JobRow).values(row).orIgnore().execute();
      return (await this.findExisting(tx, job)) ?? tx.findOneBy(JobRow, { id: row.id });
    });
    if (!saved) return job;
    return toParameters(saved) as JobParameters<DATA>;
  }

  /**
   * Saves the run state the job has now. Read before the transaction, not in it: agenda passes its live
   * attributes, and a lock renewal landing while the connection was awaited once put back the lock agenda
   * had just released, on a finished job, which a worker then ran again when that lock expired.
   */
  async saveJobState(job: JobParameters, options?: JobRepositoryOptions): Promise<void> {
    if (!job.lockedAt) this.held.delete(String(job._id));
    const where = { id: String(job._id), name: job.name };
    const state = { ...runStateColumns(job), lastModifiedBy: options?.lastModifiedBy ?? null };
    const result = await this.tracked(() => this.db.transaction((tx) => tx.update(JobRow, where, state)));
    if (result.affected !== 1) throw new Error(`job ${where.name}/${where.id} was not found to save its state`);
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    const row = await this.db.read((tx) => tx.findOneBy(JobRow, { id }));
    return row ? toParameters(row) : null;
  }

  async getQueueSize(): Promise<number> {
    return this.db.read((tx) => tx.createQueryBuilder(JobRow, 'j').where('j.next_run_at < :now', { now: new Date() }).getCount());
  }

  async getDistinctJobNames(): Promise<string[]> {
    const rows = await this.db.read((tx) =>
      tx.createQueryBuilder(JobRow, 'j').select('DISTINCT j.name', 'name').orderBy('name').getRawMany<{ name: string }>(),
    );
    return rows.map((r) => r.name);
  }

  async queryJobs(options: JobsQueryOptions = {}): Promise<JobsResult> {
    const rows = await this.db.read((tx) => {
      const qb = tx.getRepository(JobRow).createQueryBuilder('j');
      if (options.name) qb.andWhere('j.name = :name', { name: options.name });
      if (options.names?.length) qb.andWhere('j.name IN (:...names)', { names: options.names });
      if (options.id) qb.andWhere('j.id = :id', { id: options.id });
      if (options.ids?.length) qb.andWhere('j.id IN (:...ids)', { ids: options.ids });
      if (options.search) qb.andWhere('j.name LIKE :search', { search: `%${options.search}%` });
      if (options.includeDisabled === false) qb.andWhere('j.disabled = :disabled', { disabled: false });
      return qb.orderBy('j.next_run_at', 'DESC').getMany();
    });
    const now = new Date();
    let jobs: JobWithState[] = rows
      .filter((row) => options.data === undefined || matchesData(row.data, options.data))
      .map((row) => ({ ...toParameters(row), _id: toJobId(row.id), state: computeJobState(toParameters(row), now) }));
    if (options.state) jobs = jobs.filter((j) => j.state === options.state);
    const total = jobs.length;
    const skip = options.skip ?? 0;
    jobs = jobs.slice(skip, options.limit ? skip + options.limit : undefined);
    return { jobs, total };
  }

  async getJobsOverview(): Promise<JobsOverview[]> {
    const { jobs } = await this.queryJobs();
    const byName = new Map<string, JobsOverview>();
    for (const job of jobs) {
      const o = byName.get(job.name) ?? { name: job.name, total: 0, running: 0, scheduled: 0, queued: 0, completed: 0, failed: 0, repeating: 0, paused: 0 };
      o.total += 1;
      o[job.disabled ? 'paused' : job.state] += 1;
      byName.set(job.name, o);
    }
    return [...byName.values()];
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    const ids = await this.matchingIds(options);
    if (ids.length === 0) return 0;
    const result = await this.db.transaction((tx) => tx.delete(JobRow, { id: In(ids) }));
    return result.affected ?? 0;
  }

  async disableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, true);
  }

  async enableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, false);
  }

  async purgeAllJobs(): Promise<number> {
    const result = await this.db.transaction((tx) => tx.createQueryBuilder().delete().from(JobRow).execute());
    return result.affected ?? 0;
  }

  private async setDisabled(options: RemoveJobsOptions, disabled: boolean): Promise<number> {
    const ids = await this.matchingIds(options);
    if (ids.length === 0) return 0;
    const result = await this.db.transaction((tx) => tx.update(JobRow, { id: In(ids) }, { disabled }));
    return result.affected ?? 0;
  }

  private async matchingIds(options: RemoveJobsOptions): Promise<string[]> {
    const rows = await this.db.read((tx) => {
      const qb: SelectQueryBuilder<JobRow> = tx.getRepository(JobRow).createQueryBuilder('j').select(['j.id', 'j.data']);
      if (options.id) qb.andWhere('j.id = :id', { id: options.id });
      if (options.ids) qb.andWhere(options.ids.length ? 'j.id IN (:...ids)' : '1 = 0', { ids: options.ids });
      if (options.name) qb.andWhere('j.name = :name', { name: options.name });
      if (options.names) qb.andWhere(options.names.length ? 'j.name IN (:...names)' : '1 = 0', { names: options.names });
      if (options.notNames?.length) qb.andWhere({ name: Not(In(options.notNames)) });
      return qb.getMany();
    });
    return rows.filter((r) => options.data === undefined || matchesData(r.data, options.data)).map((r) => r.id);
  }

  /** The stored job a save should update instead of inserting: the recurring job of that name, or the `unique` match. */
  private async findExisting(tx: Tx, job: JobParameters): Promise<JobRow | null> {
    if (job.type === 'single') return tx.findOneBy(JobRow, { dedupeKey: `single:${job.name}` });
    if (!job.unique) return null;
    const candidates = await tx.findBy(JobRow, { name: job.name });
    const params = (row: JobRow) => toParameters(row) as unknown as Record<string, unknown>;
    return candidates.find((row) => Object.entries(job.unique!).every(([path, value]) => isDeepStrictEqual(valueAt(params(row), path), value))) ?? null;
  }
}

export class TypeormBackend implements AgendaBackend {
  readonly name = 'TypeORM';
  readonly ownsConnection = false;
  readonly repository: TypeormJobRepository;

  constructor(db: Database, polling?: { names: readonly string[]; snapshotMs: number }) {
    this.repository = new TypeormJobRepository(db, polling);
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
}

function toColumns(job: JobParameters): Partial<JobRow> {
  return {
    name: job.name,
    priority: job.priority ?? 0,
    nextRunAt: job.nextRunAt ?? null,
    type: job.type ?? 'normal',
    lockedAt: job.lockedAt ?? null,
    lastRunAt: job.lastRunAt ?? null,
    lastFinishedAt: job.lastFinishedAt ?? null,
    failedAt: job.failedAt ?? null,
    failCount: job.failCount ?? 0,
    failReason: job.failReason ?? null,
    repeatInterval: job.repeatInterval === undefined ? null : String(job.repeatInterval),
    repeatTimezone: job.repeatTimezone ?? null,
    repeatAt: job.repeatAt ?? null,
    data: (job.data ?? null) as object | null,
    disabled: job.disabled ?? false,
    progress: job.progress ?? null,
  };
}

/**
 * What a save may change on a stored job: its definition, never its run state. The lock and run
 * history belong to the processor (agenda's PROCESSOR_MANAGED_FIELDS, written by saveJobState);
 * a save from user code must not clear the lock of a job that is running.
 */
function definitionColumns(job: JobParameters): Partial<JobRow> {
  const { lockedAt, lastRunAt, lastFinishedAt, failedAt, failCount, failReason, progress, ...definition } = toColumns(job);
  return definition;
}

/** The run state of a job, which only the processor writes (saveJobState): its lock, next run, run history and failures. */
function runStateColumns(job: JobParameters): Partial<JobRow> {
  const { lockedAt, nextRunAt, lastRunAt, lastFinishedAt, failedAt, failCount, failReason, progress } = toColumns(job);
  return { lockedAt, nextRunAt, lastRunAt, lastFinishedAt, failedAt, failCount, failReason, progress };
}

function toParameters(row: JobRow): JobParameters {
  // A numeric interval (milliseconds) was stored as text; agenda wants the number back.
  const interval = row.repeatInterval !== null && /^\d+$/.test(row.repeatInterval) ? Number(row.repeatInterval) : row.repeatInterval;
  return {
    _id: toJobId(row.id),
    name: row.name,
    priority: row.priority,
    nextRunAt: row.nextRunAt,
    type: row.type,
    lockedAt: row.lockedAt ?? undefined,
    lastRunAt: row.lastRunAt ?? undefined,
    lastFinishedAt: row.lastFinishedAt ?? undefined,
    failedAt: row.failedAt ?? undefined,
    failCount: row.failCount,
    failReason: row.failReason ?? undefined,
    repeatInterval: interval ?? undefined,
    repeatTimezone: row.repeatTimezone ?? undefined,
    repeatAt: row.repeatAt ?? undefined,
    data: row.data,
    disabled: row.disabled,
    progress: row.progress ?? undefined,
    lastModifiedBy: row.lastModifiedBy ?? undefined,
  };
}

function valueAt(object: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), object);
}

/** agenda's data filter: equal, or for objects every given key equal. */
function matchesData(stored: unknown, wanted: unknown): boolean {
  if (wanted && typeof wanted === 'object' && stored && typeof stored === 'object' && !Array.isArray(wanted)) {
    return Object.entries(wanted).every(([k, v]) => isDeepStrictEqual((stored as Record<string, unknown>)[k], v));
  }
  return isDeepStrictEqual(stored, wanted);
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
