import { z } from 'zod';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { isConnectionLost } from '../database';
import { AppError } from './app-error';

/** An error answer, as RFC 9457 problem details (application/problem+json). */
export const ProblemDocument = z
  .object({
    type: z.string().meta({ description: 'urn:c2m:problem:<code>' }),
    title: z.string(),
    status: z.int(),
    code: z.string().meta({ description: 'Stable machine-readable error code, e.g. `validation_failed`' }),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string().meta({ examples: ['body.email'] }),
          message: z.string(),
          reason: z
            .string()
            .optional()
            .meta({
              description:
                "What is wrong, for clients to translate: required, invalid_type, too_small, too_big, too_short, too_long, too_few, too_many, invalid_url, invalid_email, invalid_date, invalid_format, invalid_option, unknown_field, invalid, or a route's own (e.g. reason_required, date_in_past, not_in_batch); absent for a rule that has none (read it as invalid)",
              examples: ['too_small'],
            }),
          limit: z
            .number()
            .optional()
            .meta({ description: 'The bound broken, for the size reasons (too_small … too_many) and reason_required (the firm units)' }),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.output<typeof ProblemDocument>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Errors raised by express's body parser (http-errors) before any route runs, by their `type`. */
const PARSER_ERRORS: Record<string, { code: string; detail: string }> = {
  'entity.parse.failed': { code: 'malformed_json', detail: 'The request body is not valid JSON.' },
  'entity.too.large': { code: 'body_too_large', detail: 'The request body is too large.' },
  'encoding.unsupported': { code: 'unsupported_encoding', detail: 'The request body encoding is not supported.' },
  'charset.unsupported': { code: 'unsupported_charset', detail: 'The request body charset is not supported; use UTF-8.' },
  'request.aborted': { code: 'request_aborted', detail: 'The request was aborted before its body arrived.' },
};

/**
 * Turns any thrown value into a problem document. A lost database connection is a 503 the client may
 * retry (with a Retry-After); anything else we did not expect is a 500 that says nothing internal.
 */
export function toProblem(error: unknown, req: Request): Problem {
  const base = { instance: req.originalUrl, requestId: req.id ? String(req.id) : undefined };
  if (error instanceof AppError) {
    return {
      type: problemType(error.code),
      title: TITLES[error.status] ?? 'Error',
      status: error.status,
      code: error.code,
      detail: error.detail,
      ...base,
      ...(error.errors ? { errors: error.errors } : {}),
    };
  }
  const httpError = error as { status?: number; type?: string; expose?: boolean };
  // The router cannot percent-decode a path parameter ("%ZZ"): a URIError it marks 400 but not `expose`.
  if (error instanceof URIError && httpError.status === 400) {
    return {
      type: problemType('malformed_path'),
      title: TITLES[400],
      status: 400,
      code: 'malformed_path',
      detail: 'The request path is not valid percent-encoding.',
      ...base,
    };
  }
  if (typeof httpError?.status === 'number' && httpError.status >= 400 && httpError.status < 500 && httpError.expose) {
    const known = (httpError.type && PARSER_ERRORS[httpError.type]) || { code: 'bad_request', detail: 'The request could not be read.' };
    return { type: problemType(known.code), title: TITLES[httpError.status] ?? 'Error', status: httpError.status, ...known, ...base };
  }
  if (isConnectionLost(error)) {
    return {
      type: problemType('database_unavailable'),
      title: TITLES[503],
      status: 503,
      code: 'database_unavailable',
      detail: 'The database could not be reached to finish this request. Try again in a moment (a request with an Idempotency-Key: with the same key).',
      ...base,
    };
  }
  return {
    type: problemType('internal_error'),
    title: TITLES[500],
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on our side. It has been logged; please try again.',
    ...base,
  };
}

export function problemType(code: string): string {
  return `urn:c2m:problem:${code}`;
}

/** The `code` of the problem a response answered, once sent (rate limits that count only some refusals read it). */
export const problemCodeOf = (res: Response): string | undefined => (res.locals as { problemCode?: string }).problemCode;

export function sendProblem(res: Response, problem: Problem): void {
  (res.locals as { problemCode?: string }).problemCode = problem.code;
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'route_not_found', `There is no ${req.method} ${req.path}.`));
};

export function errorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const problem = toProblem(error, req);
    // Logged once, on the request's own line (pino-http takes res.err), at the level the status calls for.
    if (problem.status >= 500) res.err = error;
    if (res.headersSent) {
      res.end();
      return;
    }
    // The pool opens new connections at once: a second later the database is likely reachable again.
    if (problem.status === 503) res.setHeader('Retry-After', '1');
    sendProblem(res, problem);
  };
}
