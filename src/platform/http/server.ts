import express, { Router, type Express, type RequestHandler } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import { badRequest } from './app-error';
import type { Metrics } from './metrics';
import { errorHandler, notFoundHandler } from './problem';

export interface HttpOptions {
  logger: Logger;
  metrics: Metrics;
  bodyLimit: string;
  corsOrigins: string[];
  trustProxy: false | number | string[];
  /** Mounted in order after the common middleware: authentication, routers, docs. */
  handlers: RequestHandler[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The Express app with the middleware every route shares; the routes themselves come from the modules. */
export function createHttpApp(options: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: options.logger,
      // Keep a caller's request id when it is sane, so one id follows a request across services.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (req, res, err) => logLevelOf(req.url ?? '', res.statusCode, err),
      serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
    }),
  );
  app.use(durationMetric(options.metrics));
  app.use(helmet());
  // CORS is off unless CORS_ORIGINS lists the web origins that may call the API from a browser.
  if (options.corsOrigins.length > 0)
    app.use(
      cors({
        origin: options.corsOrigins,
        allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed'],
      }),
    );
  app.use(
    express.json({
      limit: options.bodyLimit,
      strict: true,
      type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => void ((req as express.Request).rawBody = buf),
    }),
    refuseProtoKeys,
  );
  // Forms are kept as bytes for the routes that verify a signature over them (Alipay's notifications); no route reads form fields.
  app.use(
    express.raw({
      limit: options.bodyLimit,
      type: 'application/x-www-form-urlencoded',
      verify: (req, _res, buf) => void ((req as express.Request).rawBody = buf),
    }),
  );
  for (const handler of options.handlers) app.use(handler);
  app.use(notFoundHandler);
  app.use(errorHandler());
  return app;
}

/**
 * A `__proto__` key names no field of ours, and zod drops it silently (its guard against prototype pollution): a
 * pledge's variant with one was accepted as if it were not there. Refused wherever it is in a JSON body, so that
 * nothing sent is dropped unseen. The bytes are searched first: only a body that has the text is walked.
 */
const refuseProtoKeys: RequestHandler = (req, _res, next) => {
  const sent = req.rawBody !== undefined && req.rawBody.includes('"__proto__"') && hasProtoKey(req.body);
  next(
    sent
      ? badRequest('validation_failed', 'The request body has a "__proto__" key.', [
          { path: 'body', message: '"__proto__" is not a field', reason: 'unknown_field' },
        ])
      : undefined,
  );
};

function hasProtoKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.hasOwn(value, '__proto__') || Object.values(value).some(hasProtoKey);
}

/**
 * The web apps' files and pages (the portal, the storefront, share codes), mounted before authentication: an API
 * request (/v1/...) skips all of their routes at once instead of being matched against each of them.
 */
export function webPages(...handlers: RequestHandler[]): Router {
  const router = Router();
  router.use((req, _res, next) => next(/^\/v1(\/|$)/i.test(req.path) ? 'router' : undefined));
  for (const handler of handlers) router.use(handler);
  return router;
}

function logLevelOf(url: string, status: number, err: unknown): 'info' | 'warn' | 'error' {
  // "Not ready yet" from /readyz is the probe's answer while the process starts or drains, not a fault to alert on.
  if (url.startsWith('/readyz')) return status >= 500 ? 'warn' : 'info';
  // A clean 503 (the database unreachable for a moment, load shed) is answered with Retry-After and
  // heals by itself: a warning. An error line is for a fault someone must act on (a 500).
  if (status === 503) return 'warn';
  if (err || status >= 500) return 'error';
  return status >= 400 ? 'warn' : 'info';
}

function durationMetric(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // The route template, not the raw URL, so ids do not explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
