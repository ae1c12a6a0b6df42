import type { Express } from 'express';
import { z } from 'zod';
import { AccountService, UserRow, accountRoutes } from './accounts';
import { FactoryApiKeyRow, FactoryRow, FactoryService, factoryRoutes } from './factories';
import type { Clock } from './platform/clock';
import type { Config } from './platform/config';
import type { Database } from './platform/database';
import {
  IdempotencyKeyRow, IdempotencyStore, Metrics, TokenService, authenticate, createHttpApp, mountRoutes, opsRouter, type RouteDef,
} from './platform/http';
import { JobRow, Jobs, defineJob } from './platform/jobs';
import type { Logger } from './platform/logger';

/** Every table the code maps. The schema itself is made by the migrations in migrations/. */
export const entities = [UserRow, FactoryRow, FactoryApiKeyRow, IdempotencyKeyRow, JobRow];

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
  authSecret: string;
  /** Whether this process runs the job worker (for /readyz). */
  runsWorker: boolean;
  metrics?: Metrics;
}

export interface App {
  http: Express;
  jobs: Jobs;
  routes: RouteDef[];
  metrics: Metrics;
  services: { accounts: AccountService; factories: FactoryService; idempotency: IdempotencyStore };
}

/** The composition root: every service, job and route of the product, built by hand in dependency order. */
export function buildApp(deps: AppDeps): App {
  const { config, db, logger, clock } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const jobs = new Jobs(db, logger, metrics, config.jobs);
  const tokens = new TokenService(deps.authSecret, config.tokenTtlSeconds);
  const idempotency = new IdempotencyStore(db);

  const accounts = new AccountService({ db, tokens, clock, scryptLogN: config.passwordScryptLogN });
  const factories = new FactoryService({ db, accounts, clock });

  jobs.register(
    defineJob({
      name: 'platform.purge-idempotency-keys',
      payload: z.strictObject({}),
      schedule: { cron: '17 * * * *', timezone: 'Asia/Shanghai', payload: {} },
      handle: async (_payload, { logger: jobLogger }) => {
        const purged = await idempotency.purgeExpired(clock.now());
        if (purged > 0) jobLogger.info({ purged }, 'expired idempotency keys purged');
      },
    }),
  );

  const routes = [...accountRoutes(accounts, config.loginRateLimit), ...factoryRoutes(factories)];
  const http = createHttpApp({
    logger,
    metrics,
    bodyLimit: config.bodyLimit,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    handlers: [opsRouter({ db, jobs, metrics, expectWorker: deps.runsWorker }), authenticate(tokens, factories), mountRoutes(routes, idempotency)],
  });

  return { http, jobs, routes, metrics, services: { accounts, factories, idempotency } };
}
