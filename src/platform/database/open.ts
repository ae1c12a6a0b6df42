import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { MixedList } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { StartupError, fileSystemReason } from '../startup-error';
import { createDataSource } from './data-source';
import { Database } from './database';

/** Connects to MySQL, or opens (creating its folder if needed) the embedded SQLite file. `options`: as for Database. */
export async function openDatabase(
  config: DatabaseConfig,
  entities: MixedList<Function>,
  migrations: MixedList<Function>,
  options?: { checkNesting: boolean },
): Promise<Database> {
  const dataSource = createDataSource(config, entities, migrations);
  try {
    if (config.kind === 'sqlite') mkdirSync(path.dirname(config.file), { recursive: true });
    await dataSource.initialize();
  } catch (error) {
    throw openFailure(config, error);
  }
  return new Database(dataSource, options);
}

/**
 * What an operator reads when the database cannot be opened: one line naming the server (never the
 * password), the database and the fix, instead of the driver's stack. Errors that are not about the
 * set-up are passed on as they are.
 */
function openFailure(config: DatabaseConfig, error: unknown): unknown {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  if (config.kind === 'sqlite') {
    const reason = fileSystemReason(error) ?? (code === 'SQLITE_NOTADB' ? 'it is not a SQLite database' : undefined);
    return reason
      ? new StartupError(`cannot open the SQLite database ${config.file}: ${reason}. Set DATA_DIR to a folder this user may write (or move the file away).`)
      : error;
  }
  const url = new URL(config.url);
  const server = `MySQL at ${url.hostname}:${url.port || 3306}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const user = decodeURIComponent(url.username);
  const reasons: Record<string, string> = {
    ER_BAD_DB_ERROR: `database "${database}" does not exist on ${server}. Create it: CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; then start again.`,
    ER_DBACCESS_DENIED_ERROR: `user "${user}" may not use database "${database}" on ${server}. Grant it: GRANT ALL ON \`${database}\`.* TO '${user}'@'%';`,
    ER_ACCESS_DENIED_ERROR: `${server} refused user "${user}": check the user name and password in DATABASE_URL.`,
    ECONNREFUSED: `cannot connect to ${server}: connection refused. Is the server running, and are the host and port in DATABASE_URL right?`,
    ENOTFOUND: `cannot connect to ${server}: the host name does not resolve. Check the host in DATABASE_URL.`,
    EAI_AGAIN: `cannot connect to ${server}: the host name does not resolve (DNS did not answer). Check the host in DATABASE_URL.`,
    ETIMEDOUT: `cannot connect to ${server}: no answer. Check the host and port in DATABASE_URL and that a firewall lets the connection through.`,
    EHOSTUNREACH: `cannot connect to ${server}: the host is unreachable. Check the host in DATABASE_URL and the network.`,
    ENETUNREACH: `cannot connect to ${server}: the network is unreachable. Check the host in DATABASE_URL and the network.`,
  };
  return reasons[code] ? new StartupError(reasons[code]) : error;
}
