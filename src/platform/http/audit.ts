import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error';
import type { Principal } from './principal';
import { toProblem } from './problem';

type Operator = Extract<Principal, { role: 'operator' }>;

/** What is known of an operator's action before its handler runs (docs/operator-console.md § 审计日志). */
export interface AuditStart {
  actor: Operator;
  /** POST, PUT, PATCH, DELETE. */
  method: string;
  /** The route's path template (/v1/campaigns/:id/publish), not the path asked. */
  route: string;
  /** The first path parameter, if the route has one. */
  subjectId: string | null;
  /**
   * Every path parameter of the route by its name (`{ id, keyId }`), so that an action on one of a factory's keys,
   * users or deliveries says which; null when the route has none. A parameter named like a secret is "[redacted]".
   */
  params: Record<string, string> | null;
  /** The body's `reason`, when it is a string: the operator's why. */
  reason: string | null;
  /** The body as JSON with every secret replaced (redactedSummary); null without a body. */
  summary: string | null;
}

export type AuditOutcome = 'succeeded' | 'refused' | 'failed';

/**
 * Where operators' actions are recorded (the audit module, wired in app.ts), stamped with its clock. `begin` must have
 * written the entry when it returns (its own commit, before the action's): if it throws, the action is refused.
 */
export interface AuditTrail {
  begin(entry: AuditStart): Promise<string>;
  /**
   * The action's outcome; `subjectId` the record it created when the route has no path parameter. `correcting`: the
   * entry was completed as succeeded, and then the answer could not be sent as it was (a 500): the outcome replaces it.
   */
  finish(entryId: string, outcome: { status: number; subjectId: string | null; correcting?: boolean }): Promise<void>;
}

/** 2xx/3xx succeeded; a 4xx refused (the action was not done); a 5xx failed. */
export function outcomeOf(status: number): AuditOutcome {
  return status >= 500 ? 'failed' : status >= 400 ? 'refused' : 'succeeded';
}

/** Field names whose values never reach the log: passwords, tokens, secrets, keys, signatures, account numbers. */
const SECRET = /passw|passphrase|secret|token|api.?key|private.?key|^key$|credential|signature|otp|cvv|card.?number|account.?number|^code$/i;
const REDACTED = '[redacted]';
const SUMMARY_LIMIT = 2000;
const STRING_LIMIT = 200;
/** A path parameter as the log keeps it: the audit_entries.subject_id column's length. */
export const PARAM_LIMIT = 200;
export const REASON_LIMIT = 1000;

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > STRING_LIMIT ? `${value.slice(0, STRING_LIMIT)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET.test(key) ? REDACTED : redact(item, depth + 1)]));
}

/**
 * The body an operator sent, as the log keeps it: JSON, every field named like a secret (password, token, secret,
 * API key, signature, account number …) replaced by "[redacted]" at any depth, long texts and lists cut short, at most
 * 2,000 characters. Null for no body (or a raw one: a provider's notification, never an operator's form).
 */
export function redactedSummary(body: unknown): string | null {
  if (body === undefined || body === null || Buffer.isBuffer(body)) return null;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return null;
  const text = JSON.stringify(redact(body, 0));
  return text.length > SUMMARY_LIMIT ? `${text.slice(0, SUMMARY_LIMIT - 1)}…` : text;
}

/**
 * The route's path parameters as the log keeps them, in the route's order: each cut to 200 characters, and one named
 * like a secret (the same names as in the summary: a `:token` or `:code` in a path) replaced by "[redacted]". Null
 * for a route without any.
 */
export function auditedParams(params: Record<string, unknown>): Record<string, string> | null {
  const kept = Object.entries(params).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, SECRET.test(name) ? REDACTED : value.slice(0, PARAM_LIMIT)] as const] : [],
  );
  return kept.length === 0 ? null : Object.fromEntries(kept);
}

const AUDITED = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Pending {
  id: string;
  subjectId: string | null;
  /** The status the entry was completed with, once it was. */
  recorded?: number;
}

const pendingOf = (res: Response): Pending | undefined => (res.locals as { audit?: Pending }).audit;

/**
 * The audit log's hooks in route mounting (routes.ts), for every state-changing request (not GET) by an operator:
 * `start` runs first, before rate limits and validation, and writes the entry (write-ahead) or refuses with 503
 * `audit_unavailable`; `succeeded` completes it with the answer's status before the answer is sent; `refused` (an
 * error handler of the route) completes it with the status of the problem the request is answered with.
 */
export function auditHooks(trail: AuditTrail, routePath: string) {
  const start: RequestHandler = async (req, res, next) => {
    const principal = req.principal;
    if (!principal || principal.role !== 'operator' || !AUDITED.has(req.method)) return next();
    const body = req.body as unknown;
    const reason =
      body !== null && typeof body === 'object' && typeof (body as { reason?: unknown }).reason === 'string' ? (body as { reason: string }).reason : null;
    // Every parameter, not only the first: DELETE /v1/factories/:id/api-keys/:keyId must say which key.
    const params = auditedParams(req.params as Record<string, unknown>);
    const subjectId = params === null ? null : Object.values(params)[0]!;
    try {
      const id = await trail.begin({
        actor: principal,
        method: req.method,
        route: routePath,
        subjectId,
        params,
        reason: reason === null ? null : reason.slice(0, REASON_LIMIT),
        summary: redactedSummary(body),
      });
      (res.locals as { audit?: Pending }).audit = { id, subjectId };
    } catch (error) {
      req.log?.error({ err: error }, 'audit entry could not be written: operator action refused');
      return next(new AppError(503, 'audit_unavailable', 'The audit log could not record this action, so it was not carried out. Try again in a moment.'));
    }
    next();
  };

  const finish = async (req: Request, res: Response, status: number, answer: unknown): Promise<void> => {
    const pending = pendingOf(res);
    // Once completed, an entry changes only if a success turns out an error on its way out (its answer not as described).
    const correcting = pending?.recorded !== undefined && pending.recorded < 400 && status >= 400;
    if (!pending || (pending.recorded !== undefined && !correcting)) return;
    pending.recorded = status;
    const created = answer !== null && typeof answer === 'object' && typeof (answer as { id?: unknown }).id === 'string' ? (answer as { id: string }).id : null;
    try {
      await trail.finish(pending.id, { status, subjectId: pending.subjectId ?? created, ...(correcting ? { correcting } : {}) });
    } catch (error) {
      // The action is done (or refused) either way: its entry stays 'started', which says the outcome is not known.
      req.log?.error({ err: error, auditEntryId: pending.id }, 'audit entry could not be completed');
    }
  };

  const refused: ErrorRequestHandler = (error, req, res, next) => {
    void finish(req, res, toProblem(error, req).status, undefined).then(() => next(error));
  };

  return { start, succeeded: finish, refused };
}
