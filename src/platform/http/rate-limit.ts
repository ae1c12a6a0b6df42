import type { Request, RequestHandler } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from './app-error';

/** The caller's address (IPv6 grouped by /56, so one host cannot dodge a limit by rotating addresses). */
export const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

export interface RateLimit {
  windowMs: number;
  limit: number;
  key: (req: Request) => string;
  code: string;
  detail: string;
  skipSuccessfulRequests?: boolean;
}

/**
 * The app's request limits: fixed windows per key, answered with a 429 problem+json. In memory, so per replica:
 * with N API replicas a client gets N times the limit (docs/operations.md). Each limit's counters are cleared
 * by a timer of its own; `close()` stops them when the app closes, so a closed app leaves nothing running.
 */
export class RateLimits {
  private readonly stores: MemoryStore[] = [];

  limit(options: RateLimit): RequestHandler {
    const store = new MemoryStore();
    this.stores.push(store);
    return rateLimit({
      store,
      windowMs: options.windowMs,
      limit: options.limit,
      keyGenerator: options.key,
      skipSuccessfulRequests: options.skipSuccessfulRequests ?? false,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // Passed on rather than sent, so that a route can run its limits inside its own flow (routes.ts).
      handler: (_req, _res, next) => next(new AppError(429, options.code, options.detail)),
    });
  }

  close(): void {
    for (const store of this.stores) store.shutdown();
  }
}
