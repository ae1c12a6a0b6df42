import { migrations } from '../migrations';
import { buildApp, entities, type App, type ProviderConfigs } from './app';
import { type Clock, systemClock } from './platform/clock';
import type { Config } from './platform/config';
import { type Database, openDatabase } from './platform/database';
import type { Logger } from './platform/logger';
import { loadOrCreateSecret } from './platform/secrets';

/** Opens the database and builds the app: what the server and the CLI share. */
export async function boot(
  config: Config,
  logger: Logger,
  options: { runsWorker: boolean; providers: ProviderConfigs; clock?: Clock },
): Promise<{ app: App; db: Database }> {
  const secrets = {
    auth: config.authSecret ?? loadOrCreateSecret(config.dataDir, 'auth-secret'),
    sandbox: config.payments.sandboxSecret ?? loadOrCreateSecret(config.dataDir, 'sandbox-secret'),
  };
  const db = await openDatabase(config.database, entities, migrations, { checkNesting: config.env !== 'production' });
  const app = buildApp({ config, db, logger, clock: options.clock ?? systemClock, secrets, runsWorker: options.runsWorker, providers: options.providers });
  return { app, db };
}
