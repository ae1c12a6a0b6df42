import { Router, type Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import swaggerUi from 'swagger-ui-express';
import { parse as parseYaml } from 'yaml';
import type { Database } from '../database';
import type { Jobs } from '../jobs';
import { PROJECT_ROOT } from '../paths';
import { AppError, unauthenticated } from './app-error';
import type { Metrics } from './metrics';
import { sendProblem, problemType } from './problem';

/** The API description, kept true by test/api/openapi.test.ts. */
export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs/openapi.yaml');

export function loadOpenApi(): Record<string, unknown> {
  return parseYaml(readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
}

/** Liveness, readiness, metrics and the API description: the routes operations and load balancers use. */
export function opsRouter(deps: { db: Database; jobs: Jobs; metrics: Metrics; expectWorker: boolean; metricsToken: string | undefined }): Router {
  const router = Router();
  const openapi = loadOpenApi();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    const checks: Record<string, string> = {};
    try {
      await deps.db.ping();
      checks.database = 'ok';
      checks.migrations = (await deps.db.pendingMigrations()) ? 'pending' : 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    checks.jobs = !deps.expectWorker ? 'not run here' : deps.jobs.workerRunning ? 'ok' : 'stopped';
    const ready = checks.database === 'ok' && checks.migrations === 'ok' && checks.jobs !== 'stopped';
    if (ready) {
      res.json({ status: 'ready', checks });
      return;
    }
    sendProblem(res, {
      type: problemType('not_ready'),
      title: 'Service Unavailable',
      status: 503,
      code: 'not_ready',
      detail: `Not ready: ${Object.entries(checks)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      instance: req.originalUrl,
    });
  });

  // Metrics name every route, job and failure rate and the process's memory: for the scraper holding METRICS_TOKEN only, and off without one.
  router.get('/metrics', async (req, res) => {
    if (deps.metricsToken === undefined)
      throw new AppError(
        404,
        'metrics_disabled',
        'Metrics are off on this service: set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>".',
      );
    if (!presents(req, deps.metricsToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw unauthenticated('Metrics need "Authorization: Bearer <METRICS_TOKEN>".');
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  router.get('/docs/openapi.yaml', (_req, res) => {
    res.type('application/yaml').sendFile(OPENAPI_FILE);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'C2M pre-sale API' }));
  return router;
}

/** Whether the request carries `Bearer <token>`, compared in constant time (digests, so the length does not leak either). */
function presents(req: Request, token: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(req.get('Authorization') ?? ''), digest(`Bearer ${token}`));
}
