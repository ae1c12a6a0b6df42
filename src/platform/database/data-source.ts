import 'reflect-metadata';
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
  };
}

export function createDataSource(db: DatabaseConfig, entities: EntityList, migrations: EntityList): DataSource {
  return new DataSource(dataSourceOptions(db, entities, migrations));
}
