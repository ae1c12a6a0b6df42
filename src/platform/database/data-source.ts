import 'reflect-metadata';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource, type DataSourceOptions, type MixedList } from 'typeorm';
import type { DatabaseConfig } from '../config';

type EntityList = MixedList<Function>;

export function dataSourceOptions(db: DatabaseConfig, entities: EntityList, migrations: EntityList): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (db.kind === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: db.url,
      // Dates are stored and read as UTC; BIGINT fen come back as exact strings.
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      supportBigNumbers: true,
      bigNumberStrings: true,
      poolSize: 20,
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: db.file,
    enableWAL: true,
    // A second process on the same file (the CLI next to the service, an api and a worker) waits this
    // long for the write lock instead of failing.
    timeout: 15_000,
    prepareDatabase: beginImmediately,
  };
}

/**
 * Every transaction on the embedded file takes the write lock when it begins. TypeORM opens them with a
 * deferred `BEGIN TRANSACTION`: the first read pins a snapshot, and the first write must then upgrade it.
 * If another process wrote in between, SQLite cannot upgrade and answers SQLITE_BUSY at once ("database
 * is locked"), without waiting the busy timeout, since waiting could not help. `BEGIN IMMEDIATE` waits
 * (up to the timeout) for the other process's write to finish, then reads what it wrote. SQLite has no
 * setting for the default, so the one statement is rewritten as it is prepared.
 */
function beginImmediately(connection: Pick<BetterSqlite3.Database, 'prepare'>): void {
  const prepare = connection.prepare.bind(connection);
  connection.prepare = ((sql: string) => prepare(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql)) as typeof connection.prepare;
}

export function createDataSource(db: DatabaseConfig, entities: EntityList, migrations: EntityList): DataSource {
  return new DataSource(dataSourceOptions(db, entities, migrations));
}
