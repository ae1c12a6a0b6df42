import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { MixedList } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { createDataSource } from './data-source';
import { Database } from './database';

/** Connects to MySQL, or opens (creating its folder if needed) the embedded SQLite file. */
export async function openDatabase(config: DatabaseConfig, entities: MixedList<Function>, migrations: MixedList<Function>): Promise<Database> {
  if (config.kind === 'sqlite') mkdirSync(path.dirname(config.file), { recursive: true });
  const dataSource = createDataSource(config, entities, migrations);
  await dataSource.initialize();
  return new Database(dataSource);
}
