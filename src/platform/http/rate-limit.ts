import type { Request, RequestHandler } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../logger';
import { type SharedRedis, warnEvery10s } from '../redis';
import { AppError } from './app-error';
import { problemCodeOf } from './problem';

/** The caller's address (IPv6 grouped by /56, so one host cannot dodge a limit by rotating addresses). */
export const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

export interface RateLimit {
  /** The limit's own name: its counters are kept under it (in Redis, `<REDIS_KEY_PREFIX>rl:<name>:<key>`), apart from every other limit's. */
  name: string;
  windowMs: number;
  limit: number;
  key: (req: Request) => string;
  code: string;
  detail: string;
  /**
   * Count only the requests refused with one of these problem codes (a wrong password, a wrong code): a limit
   * of failed guesses. Without it every request counts. A refusal that is no guess (the service busy, a body
   * not valid) must not lock out someone who typed the right password.
   */
  countOnly?: readonly string[];
}

/**
 * The app's request limits: fixed windows per key, answered with a 429 problem+json. With Redis (REDIS_URL)
 * every replica counts in the same Redis counters; without it each counts in its own memory, so with N
 * replicas a client gets N times the limit (docs/operations.md § Replicas). When Redis cannot be reached a
 * request is let through uncounted (fails open, logged at most every 10 s): an outage of the counters must
 * not turn into an outage of sign-in and pledging. In memory, each limit's counters are cleared by a timer of
 * its own; `close()` stops them when the app closes, so a closed app leaves nothing running.
 */
export class RateLimits {
  private readonly memoryStores: MemoryStore[] = [];
  private readonly names = new Set<string>();
  private readonly storeFailed: (error: unknown) => void;

  constructor(private readonly options: { redis?: SharedRedis; logger: Logger }) {
    this.storeFailed = warnEvery10s(options.logger, 'a rate limit could not be counted in Redis: the request was let through');
  }

  limit(options: RateLimit): RequestHandler {
    if (this.names.has(options.name)) throw new Error(`two rate limits are named ${options.name}: they would share their counters`);
    this.names.add(options.name);
    return rateLimit({
      store: this.store(options.name),
      windowMs: options.windowMs,
      limit: options.limit,
      keyGenerator: options.key,
      skipSuccessfulRequests: options.countOnly !== undefined,
      requestWasSuccessful: (_req, res) => !options.countOnly?.includes(problemCodeOf(res) ?? ''),
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      passOnStoreError: true,
      logger: { error: this.storeFailed, warn: this.storeFailed },
      // Passed on rather than sent, so that a route can run its limits inside its own flow (routes.ts).
      handler: (_req, _res, next) => next(new AppError(429, options.code, options.detail)),
    });
  }

  private store(name: string): Store {
    const { redis } = this.options;
    if (redis) return new RedisStore({ prefix: redis.key(`rl:${name}:`), sendCommand: (...args: string[]) => redis.send(args) });
    const store = new MemoryStore();
    this.memoryStores.push(store);
    return store;
  }

  close(): void {
    for (const store of this.memoryStores) store.shutdown();
  }
}
