import supertest from 'supertest';
import { migrations } from '../../migrations';
import { buildApp, entities, readConfig, type App } from '../../src/app';
import type { PaymentGateway } from '../../src/payments';
import type { Clock } from '../../src/platform/clock';
import type { Config } from '../../src/platform/config';
import { type Database, openDatabase } from '../../src/platform/database';
import { authenticate, createHttpApp, mountRoutes, type RouteDef } from '../../src/platform/http';
import { Metrics } from '../../src/platform/http/metrics';
import { createLogger } from '../../src/platform/logger';
import { emptiedDatabase } from './database';

/** The settings every test app runs with, unless a test overrides them. */
export const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  // Cheap password hashes: the cost is a parameter, the code path is the real one.
  PASSWORD_HASH_MEMORY_KIB: '64',
  PASSWORD_HASH_ITERATIONS: '1',
  JOBS_POLL_INTERVAL_MS: '100',
  JOBS_LOCK_LIFETIME_MS: '2000',
  SEED_DEMO_DATA: 'false',
  // Tests drive the sandbox gateway themselves (complete, fail, replay), unless one opts in.
  SANDBOX_AUTO_CONFIRM: 'false',
  // The operator-only routes that complete or fail a sandbox payment (off by default, refused in production).
  SANDBOX_TEST_ROUTES: 'true',
  // The demo's checkout sheet route, so that it is served and checked like every route (off by default outside the demo).
  SANDBOX_CHECKOUT: 'true',
  // Spikes of 1,000 pledges come from one address and a few accounts; the limits have tests of their own.
  PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '100000',
  PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '100000',
  // Every test signs its consumers up from one address.
  REGISTER_RATE_LIMIT_PER_15_MIN: '100000',
  // The shop-application limit has a test of its own (test/api/shops.test.ts); attacks on the route are many attempts.
  SHOP_APPLICATIONS_PER_HOUR: '100000',
  // Share-link lookups (shop page, visits, binding) come from one address in tests; their limit has a test of its own (test/api/shop-sharing.test.ts).
  SHOP_LOOKUPS_PER_MINUTE: '100000',
  // Tests read a campaign right after changing it; the public read cache (at most 1 s old) has tests of its own (test/api/campaign-cache.test.ts).
  CAMPAIGN_CACHE_MS: '0',
  // Every answer is checked against its route's response schema: docs/openapi.yaml is generated from those schemas.
  VALIDATE_RESPONSES: 'true',
};

/**
 * Routes of a test's own (standing in for a module's), mounted by the platform as the app mounts its routes:
 * behind the real authentication, with the test app's idempotency store.
 */
export function serveRoutes(t: TestApp, routes: RouteDef[], options: Parameters<typeof mountRoutes>[2] = {}): ReturnType<typeof supertest> {
  const http = createHttpApp({
    logger: createLogger('silent'),
    metrics: new Metrics({ processMetrics: false }),
    bodyLimit: '10kb',
    corsOrigins: [],
    trustProxy: false,
    handlers: [authenticate(t.app.services.accounts, t.app.services.factories), mountRoutes(routes, t.app.services.idempotency, options)],
  });
  return supertest(http);
}

export interface TestApp {
  app: App;
  db: Database;
  config: Config;
  clock: Clock;
  dbConfig: Config['database'];
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** The real app on an empty, migrated database, served by supertest over real HTTP. */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    runsWorker?: boolean;
    database?: { config: Config['database']; drop(): Promise<void> };
    storefrontDist?: string;
    /** Payment providers beside the sandbox. */
    gateways?: PaymentGateway[];
    /**
     * The process metrics (CPU, memory, GC, event-loop lag) beside the app's own, as the service serves them. Off
     * unless a test reads them: prom-client watches GC and the event loop process-wide and never lets go, so each
     * test file that turned them on stayed in memory to the end of a suite run.
     */
    processMetrics?: boolean;
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await emptiedDatabase());
  const read = readConfig({ ...TEST_ENV, ...(options.storefrontDist ? { STOREFRONT_DIST: options.storefrontDist } : {}), ...options.env });
  const config = { ...read.config, database: database.config };
  const db = await openDatabase(config.database, entities, migrations);
  const logger = createLogger(config.logLevel);
  const clock = options.clock ?? { now: () => new Date() };
  const app = buildApp({
    config,
    db,
    logger,
    clock,
    secrets: { auth: 'test-secret-that-is-long-enough-0123456789', sandbox: 'sandbox-secret-for-tests-0123456789abcdef' },
    runsWorker: options.runsWorker ?? false,
    providers: read.providers,
    gateways: options.gateways,
    metrics: new Metrics({ processMetrics: options.processMetrics ?? false }),
  });
  await app.prepare();
  if (options.runsWorker) await app.jobs.startWorker();
  return {
    app,
    db,
    config,
    clock,
    dbConfig: database.config,
    http: supertest(app.http),
    close: async () => {
      await app.jobs.stopWorker(2000);
      await app.close();
      await db.close();
      await database.drop();
    },
  };
}
