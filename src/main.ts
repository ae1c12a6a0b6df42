import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { boot } from './bootstrap';
import { DEMO_ACCOUNTS, seedDemoData } from './demo/seed';
import { readConfig } from './app';
import { ConfigError } from './platform/config';
import { listen } from './platform/http/listener';
import { createLogger } from './platform/logger';
import { StartupError } from './platform/startup-error';

type Role = 'api' | 'worker' | 'all';

/** The service: `node dist/src/main.js --role=api|worker|all` (default all: the HTTP API and the job worker). */
async function main(): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!['api', 'worker', 'all'].includes(role)) throw new ConfigError([`--role: must be api, worker or all (got ${values.role})`]);
  const { config, providers } = readConfig();
  const logger = createLogger(config.logLevel);
  const runsApi = role !== 'worker';
  const runsWorker = role !== 'api';

  // The port first: a second start on a busy port fails here, before touching the database.
  const listener = runsApi ? await listen({ port: config.port, host: config.host, maxConcurrentRequests: config.maxConcurrentRequests, logger }) : undefined;
  const server = listener?.server;
  const { app, db } = await boot(config, logger, { runsWorker, providers });
  const applied = await app.prepare();
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (config.bootstrapOperator) {
    const { created } = await app.services.accounts.ensureOperator({ ...config.bootstrapOperator, displayName: 'Operator' });
    if (created) logger.info({ email: config.bootstrapOperator.email }, 'bootstrap operator created');
  }
  if (config.seedDemoData) await seedDemoData(app, logger);
  if (!(await app.services.accounts.hasOperator())) {
    logger.warn(
      'no operator account yet: create one with `npm run cli -- create-operator --email <email> --password <password>`, or start with BOOTSTRAP_OPERATOR_EMAIL and BOOTSTRAP_OPERATOR_PASSWORD set',
    );
  }

  listener?.serve(app.http, app.metrics);
  if (runsWorker) await app.jobs.startWorker();
  const baseUrl = `http://localhost:${listener?.port ?? config.port}`;
  logger.info(
    { role, port: listener?.port, database: config.database.kind, startupMs: Math.round(performance.now() - started) },
    runsApi ? `ready: ${baseUrl} (API description at /docs, factory portal at /portal)` : 'ready: job worker running',
  );
  if (runsApi && config.seedDemoData) {
    const { email, password } = DEMO_ACCOUNTS.factory;
    logger.info({ portal: `${baseUrl}/portal`, email }, `factory portal: ${baseUrl}/portal (demo factory account: ${email} / ${password})`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight ones and running jobs');
    const closed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
    // Keep-alive connections go as soon as their in-flight request is answered; stragglers after 10 s.
    const closeIdle = setInterval(() => server?.closeIdleConnections(), 50);
    const force = setTimeout(() => server?.closeAllConnections(), 10_000);
    await Promise.all([closed, app.jobs.stopWorker(10_000)]);
    clearInterval(closeIdle);
    await app.close();
    clearTimeout(force);
    await db.close();
    logger.info('stopped');
    // agenda leaves timers behind (one per job run); exit rather than wait for them.
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // What the operator can fix is one line; anything else is a defect, and its stack is what a developer needs.
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof StartupError) console.error(`failed to start: ${error.message}`);
  else console.error('failed to start:', error);
  process.exit(1);
});
