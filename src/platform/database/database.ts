import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryRunner } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** An open transaction. Repository functions take it as their first, required argument. */
export type Tx = EntityManager;
export type Dialect = 'sqlite' | 'mysql';
/** A value bound into plain SQL. */
export type SqlValue = string | number | null | Date;

/**
 * The one way domain code reaches the database. Services open transactions here and pass `tx` down.
 *
 * SQLite has one connection and one writer: two interleaved transactions on it would fail with
 * "cannot start a transaction within a transaction" (or commit each other's work). So on SQLite
 * every unit of work, read or write, waits its turn in a queue; on MySQL they run concurrently on
 * the pool and row locks / conditional updates keep them correct.
 */
export class Database {
  readonly dialect: Dialect;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Marks code running inside a unit of work, to refuse nested ones (see exclusive). On SQLite nested work would
   * wait forever for the queue it is part of, so the check is always on; on MySQL it finds the same mistake in
   * development and tests. It is off for MySQL in production: an AsyncLocalStorage makes Node track every promise,
   * some 7 % of the CPU under a launch's load.
   */
  private readonly insideWork: AsyncLocalStorage<true> | undefined;
  /** When the SQLite queue last let the event loop turn. */
  private lastTurn = 0;

  constructor(
    readonly dataSource: DataSource,
    options: { checkNesting: boolean } = { checkNesting: true },
  ) {
    this.dialect = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
    this.insideWork = options.checkNesting || this.dialect === 'sqlite' ? new AsyncLocalStorage<true>() : undefined;
  }

  /**
   * Runs `work` in a transaction. On MySQL a transaction chosen as a deadlock victim (or timed out
   * waiting for a lock) was rolled back whole, so it is run again, a few times, after a short random
   * pause: `work` must only touch the database (calls to the outside world belong outside it).
   * SQLite does the same for another process on the file (the CLI beside the service): a transaction
   * that has read and then writes must upgrade its snapshot to the write lock, and when the other
   * process wrote in between SQLite refuses at once ("database is locked", SQLITE_BUSY_SNAPSHOT)
   * rather than wait the busy timeout, since waiting cannot help; run again, it reads the new state.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.retryingLockVictims(() =>
      this.exclusive(() => (this.dialect === 'mysql' ? this.withoutAutocommit(work) : this.dataSource.transaction((tx) => work(tx)))),
    );
  }

  /**
   * A MySQL transaction with autocommit off for its whole length. Hot paths send a transaction's
   * independent statements back to back (Promise.all on its connection). When the server rolls a
   * transaction back by itself (a deadlock victim), the statements already queued behind the failed
   * one still run: with autocommit on, each would commit on its own, outside the transaction that was
   * just undone, and the retry would then write them again (a pledge without its units, a payment
   * twice). With autocommit off they land in an implicit transaction that the ROLLBACK discards.
   * The connection goes back to the pool with autocommit on, as single statements and reads need it,
   * or is closed.
   */
  private async withoutAutocommit<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const gate = new StatementGate(runner);
    try {
      // Sent back to back: one round trip, as START TRANSACTION alone.
      await Promise.all([runner.query('SET autocommit = 0'), runner.startTransaction()]);
      const result = await work(runner.manager);
      await gate.close();
      await runner.commitTransaction();
      return result;
    } catch (error) {
      // Nothing `work` still has running may reach the connection after the rollback (see StatementGate).
      await gate.close();
      // The original error is what the caller needs; a failed rollback (a lost connection) is rolled back by the server.
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      // The caller does not wait for this: the connection returns to the pool one round trip later.
      void this.releaseWithAutocommit(runner);
    }
  }

  private async releaseWithAutocommit(runner: QueryRunner): Promise<void> {
    try {
      await runner.query('SET autocommit = 1');
    } catch {
      // Never hand out a connection that might not commit single statements: close it instead.
      (runner as unknown as { databaseConnection?: { destroy(): void } }).databaseConnection?.destroy();
    }
    await runner.release().catch(() => undefined);
  }

  /**
   * One write that is atomic on its own (a single INSERT or UPDATE), run without an explicit
   * transaction: it saves the START TRANSACTION and COMMIT round trips on hot paths.
   */
  statement<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    // On SQLite a single statement takes the write lock as it starts, waiting the busy timeout: a "locked" after that is final.
    return this.retryingLockVictims(() => this.exclusive(() => work(this.dataSource.manager)), this.dialect === 'mysql');
  }

  private async retryingLockVictims<T>(run: () => Promise<T>, retry = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!retry || attempt >= 8 || !isRetryableLockError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt));
      }
    }
  }

  /**
   * Adds to counter columns, creating the rows that do not exist yet, in ONE statement for all rows
   * (MySQL `ON DUPLICATE KEY UPDATE`, SQLite `ON CONFLICT … DO UPDATE`). Rows are written in key
   * order, so two transactions touching the same counters lock them in the same order.
   * `table` and column names come from code, never from input; values are bound.
   */
  async addToCounters(
    tx: Tx,
    table: string,
    keys: readonly string[],
    counters: readonly string[],
    rows: readonly Record<string, string | number>[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const keyOf = (row: Record<string, string | number>) => keys.map((k) => String(row[k])).join('\u0000');
    const sorted = [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const columns = [...keys, ...counters];
    const placeholders = sorted.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    const values = sorted.flatMap((row) => columns.map((c) => row[c] ?? 0));
    const update =
      this.dialect === 'mysql'
        ? `ON DUPLICATE KEY UPDATE ${counters.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`
        : `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
    await this.sql(tx, `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders} ${update}`, values);
  }

  /**
   * One plain SQL statement, its values bound (`?`): what hot paths use instead of entity operations,
   * whose metadata work costs more CPU than the round trip. Returns the rows a SELECT reads and how
   * many rows a write changed, on either database. Dates are bound as UTC text with milliseconds, the
   * form the entity columns store on both databases.
   */
  async sql<R = Record<string, unknown>>(tx: Tx, query: string, values: readonly SqlValue[] = []): Promise<{ rows: R[]; affected: number }> {
    const runner = tx.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        query,
        values.map((v) => (v instanceof Date ? utcTimestamp(v) : v)),
        true,
      );
      return { rows: (result.records ?? []) as R[], affected: result.affected ?? 0 };
    } finally {
      if (!tx.queryRunner) await runner.release();
    }
  }

  /**
   * Inserts entities with ONE multi-row INSERT, each column named and stored as the entity's TypeORM
   * mapping says (money in fen, JSON, UTC timestamps, booleans), exactly as `tx.insert` would store them:
   * the hot paths' single statement without writing a table's columns out a second time. A property left
   * undefined takes the column's default, else NULL. `ignoreDuplicates` as for insertRows.
   */
  async insertEntities<E extends ObjectLiteral>(
    tx: Tx,
    entity: EntityTarget<E>,
    rows: readonly E[],
    options: { ignoreDuplicates?: boolean } = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    const metadata = this.dataSource.getMetadata(entity);
    const stored = (column: ColumnMetadata, row: E): SqlValue => {
      const own: unknown = column.getEntityValue(row);
      const value: unknown = own === undefined ? column.default : own;
      return value === undefined || value === null ? null : (this.dataSource.driver.preparePersistentValue(value, column) as SqlValue);
    };
    await this.insertRows(
      tx,
      metadata.tableName,
      rows.map((row) => Object.fromEntries(metadata.columns.map((column) => [column.databaseName, stored(column, row)]))),
      options,
    );
  }

  /**
   * Inserts rows (column name → value, the same columns in every row) with ONE multi-row INSERT.
   * `ignoreDuplicates` skips rows whose unique key exists (MySQL `INSERT IGNORE`, SQLite `INSERT OR IGNORE`).
   * `table` and column names come from code, never from input; values are bound.
   */
  async insertRows(tx: Tx, table: string, rows: readonly Record<string, SqlValue>[], options: { ignoreDuplicates?: boolean } = {}): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]);
    const verb = !options.ignoreDuplicates ? 'INSERT' : this.dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    const placeholders = rows.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    await this.sql(
      tx,
      `${verb} INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`,
      rows.flatMap((row) => columns.map((c) => row[c])),
    );
  }

  /** The lock option for "read this row to change it": a row lock on MySQL; SQLite writers are serialised anyway. */
  rowLock(): { mode: 'pessimistic_write' } | undefined {
    return this.dialect === 'mysql' ? { mode: 'pessimistic_write' } : undefined;
  }

  /** The same for plain SQL (`sql`): the clause ending a SELECT that locks what it reads. */
  rowLockClause(): string {
    return this.dialect === 'mysql' ? ' FOR UPDATE' : '';
  }

  /**
   * For plain SQL, after the table's name: read it through this index. MySQL's choice goes by statistics
   * that can make a wrong index look as good, and a locking read locks every row it reads on the way;
   * SQLite's planner prefers the index with the most equalities, and is left to it.
   */
  forceIndex(name: string): string {
    return this.dialect === 'mysql' ? ` FORCE INDEX (${name})` : '';
  }

  /** Reads that need no transaction. */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(() => work(this.dataSource.manager));
  }

  async pendingMigrations(): Promise<boolean> {
    return this.exclusive(() => this.dataSource.showMigrations());
  }

  /** Applies pending migrations; returns their names. */
  async migrate(): Promise<string[]> {
    const run = async () => (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    if (this.dialect === 'sqlite') return this.exclusive(() => this.sqliteMigrate());
    // Replicas starting together: one migrates while the others wait on a named lock, then find nothing to do.
    const runner = this.dataSource.createQueryRunner();
    try {
      const [{ name }] = (await runner.query('SELECT DATABASE() AS name')) as { name: string }[];
      await runner.query('SELECT GET_LOCK(?, 300)', [`migrations:${name}`]);
      try {
        return await this.exclusive(run);
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [`migrations:${name}`]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * SQLite: all migrations in one transaction that takes the file's write lock as it begins (BEGIN
   * IMMEDIATE waits the busy timeout for it), so that a second process migrating at the same moment
   * (the CLI beside a starting service) waits, then reads that there is nothing left to do, instead of
   * applying a migration the first has just applied. TypeORM is told not to open transactions of its
   * own; foreign keys are switched off first, as it does per migration: inside a transaction that
   * pragma has no effect.
   */
  private async sqliteMigrate(): Promise<string[]> {
    const runner = this.dataSource.createQueryRunner();
    await runner.beforeMigration();
    try {
      await runner.query('BEGIN IMMEDIATE');
      try {
        const applied = (await this.dataSource.runMigrations({ transaction: 'none' })).map((m) => m.name);
        await runner.query('COMMIT');
        return applied;
      } catch (error) {
        await runner.query('ROLLBACK');
        throw error;
      }
    } finally {
      await runner.afterMigration();
    }
  }

  async ping(): Promise<void> {
    await this.read((tx) => tx.query('SELECT 1'));
  }

  async close(): Promise<void> {
    // Let queued work finish before the connection goes away.
    await this.queue;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** A turn of the event loop (its I/O: accepting connections, reading requests) if the queue has run for 5 ms without one. */
  private turnIfDue(): Promise<void> | undefined {
    if (performance.now() - this.lastTurn < 5) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.lastTurn = performance.now();
        resolve();
      }),
    );
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const inside = this.insideWork;
    if (inside?.getStore()) {
      return Promise.reject(new Error('nested database work: pass the open tx down instead of opening another'));
    }
    const guarded = inside ? () => inside.run(true, run) : run;
    if (this.dialect === 'mysql') return guarded();
    // better-sqlite3 is synchronous: a queue of work chained on promises would run as one long string
    // of microtasks, and the event loop would accept no connection and read no request until the queue
    // was empty (a burst of pledges overflowed the listen backlog and was reset). So the queue lets
    // the event loop turn whenever it has run for a few milliseconds without a turn.
    const next = this.queue.then(() => this.turnIfDue()).then(guarded);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Stands between a transaction's work and its connection. A transaction's statements are sent back to
 * back, some in chains (a read, then the write that depends on it, inside a Promise.all). When one of
 * them fails, the work rejects at once while a chain beside it is still waiting for its statement: its
 * next statement would then be sent after the ROLLBACK, in a transaction of its own that the
 * `SET autocommit = 1` handing the connection back commits — half of an attempt kept, and the retry
 * writing it again (a consumer counted twice among a campaign's pledgers). Closing the gate refuses every
 * statement not yet sent and waits for those already sent, so that the ROLLBACK (or COMMIT) comes last.
 */
class StatementGate {
  /** What the transaction itself sends once the work is done: these alone pass a closed gate. */
  private static readonly ENDINGS = new Set(['COMMIT', 'ROLLBACK', 'SET autocommit = 1']);
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(runner: QueryRunner) {
    const send = runner.query.bind(runner);
    runner.query = ((query: string, parameters?: unknown[], structured?: boolean) => {
      // Closed for good: a chain that resumes after the ROLLBACK (or the COMMIT) is refused however late it comes.
      if (this.closed && !StatementGate.ENDINGS.has(query))
        return Promise.reject(new Error('the transaction has ended: a statement its work sent afterwards was not run'));
      const sent = send(query, parameters, structured as true);
      const settled = sent.then(
        () => undefined,
        () => undefined,
      );
      this.inFlight.add(settled);
      void settled.then(() => this.inFlight.delete(settled));
      return sent;
    }) as QueryRunner['query'];
  }

  /** Refuses what the work sends from now on and waits for what it has sent; only COMMIT, ROLLBACK and the release's reset pass after this. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC: how `timestampColumn`s are stored (SQLite text, MySQL DATETIME(3) with timezone Z). */
function utcTimestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 23);
}

/** A timestamp column read by plain SQL (`Database.sql`): MySQL returns a Date, SQLite the stored UTC text. */
export function storedTimestamp(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value.includes('T') || value.endsWith('Z') ? value : `${value.replace(' ', 'T')}Z`);
}

/** A unique-key violation, on either database: the "someone else inserted it first" signal. */
export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * The connection to the database broke under the request (killed on the server, reset, refused, the
 * server restarting): the request could not be completed, the server rolled back what it had begun,
 * and the same request may succeed a moment later on a new connection. mysql2 marks such errors fatal.
 */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { fatal?: boolean; driverError?: { fatal?: boolean } } | undefined;
  return e?.driverError?.fatal === true || e?.fatal === true || CONNECTION_LOST.has(driverCode(error) ?? '');
}

const CONNECTION_LOST = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

function isRetryableLockError(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** The database driver's error code, whether TypeORM wrapped the error or not. */
function driverCode(error: unknown): string | undefined {
  const e = error as { code?: string; driverError?: { code?: string } } | undefined;
  return e?.driverError?.code ?? e?.code;
}
