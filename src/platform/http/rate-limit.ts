import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from './app-error';

/** The caller's address (IPv6 grouped by /56, so one host cannot dodge a limit by rotating addresses). */
export const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

/**
 * A fixed-window request limit per key, answered with a 429 problem+json. In memory, so per replica:
 * with N API replicas a client gets N times the limit (docs/operations.md).
 */
export function rateLimited(options: {
  windowMs: number;
  limit: number;
  key: (req: Request) => string;
  code: string;
  detail: string;
  skipSuccessfulRequests?: boolean;
}): RequestHandler {
  return rateLimit({
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
