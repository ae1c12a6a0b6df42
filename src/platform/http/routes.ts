import { isDeepStrictEqual } from 'node:util';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { AppError, badRequest, forbidden, unauthenticated, type FieldError } from './app-error';
import { auditHooks, type AuditTrail } from './audit';
import { IdempotencyStore } from './idempotency';
import type { Principal, Role } from './principal';
import { subjectOf } from './principal';
import { toProblem } from './problem';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Context<P, B, Q, Prm> {
  principal: P;
  body: B;
  query: Q;
  params: Prm;
  req: Request;
  res: Response;
  /** Idempotent routes: the id to give the record the request creates (IdempotencyStore.recordId), the same for every retry. */
  idempotencyId?: string;
}

interface Common<B, Q, Prm, Res extends z.ZodType | null> {
  method: Method;
  /** An express path such as /v1/factories/:id; also the route's label in metrics and in docs/openapi.yaml. */
  path: string;
  summary: string;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<Prm>;
  /** The handler gets the body's exact bytes (a Buffer), JSON or a form, instead of parsed JSON: for signed notifications. */
  rawBody?: boolean;
  /** Money-moving routes: an Idempotency-Key header is required and honoured. */
  idempotent?: boolean;
  /** Status of a successful answer; default 200. A handler that returns nothing sends no body. */
  status?: number;
  /** Middleware (rate limits) run before the handler; on idempotent routes only for a request that is not a replay. */
  before?: RequestHandler[];
  /**
   * What a successful JSON answer is (its schema in the module's schemas file), or null when the route answers no
   * JSON body (204, a file). Required: docs/openapi.yaml is generated from it, and with VALIDATE_RESPONSES (on in
   * the tests) every answer is checked against it.
   */
  response: Res;
  /** What only the API description says (docs/openapi.yaml): more words, the refusals worth naming. */
  doc?: RouteDoc;
}

/** The parts of a route's description in docs/openapi.yaml that the route's code does not already say. */
export interface RouteDoc {
  /** Longer than the summary: what a client needs to know to use the route well. */
  description?: string;
  /** What the success answer is ("The pledge, awaiting its deposit"); by default the status's name. */
  answer?: string;
  /**
   * The refusals worth naming, by status: which codes, and when. The ones every route of its kind may give
   * (400 for bad input, 401/403 for a route that needs credentials, 404 for one with an id) are listed anyway.
   */
  problems?: Record<number, string>;
  /** Other forms of the success answer, by media type (a CSV export): their description. */
  files?: Record<string, string>;
  /** Request headers the route reads beyond the ones the platform knows of (Idempotency-Key). */
  headers?: z.ZodObject;
  /** Response headers of the success answer, by name: their description. */
  answerHeaders?: Record<string, string>;
  /** The body of a rawBody route, as the handler checks it. */
  rawBody?: z.ZodType;
  /** The route answers a Cacheable: If-None-Match, ETag and 304 are described. */
  cacheable?: boolean;
}

/**
 * What a handler may answer: what its response schema describes (so the compiler holds the code to the
 * description too), a file, a provider's own reply, a cacheable answer (its body checked when sent), or nothing.
 */
type Answer<Res extends z.ZodType | null> = (Res extends z.ZodType ? z.input<Res> : never) | Cacheable | Download | Reply | undefined;

/**
 * A handler's answer that is a file (a CSV export, say) rather than JSON. `inline` for a picture to be shown
 * rather than saved; with an `etag` (and its Cache-Control) a request whose If-None-Match names it is answered 304.
 */
export class Download {
  constructor(
    readonly contentType: string,
    readonly filename: string,
    readonly content: string | Buffer,
    readonly options: { inline?: boolean; etag?: string; cacheControl?: string } = {},
  ) {}
}

/** A handler's answer in a form someone else prescribes (a payment provider's expected reply to its notification): status, type and body as given. */
export class Reply {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string,
  ) {}
}

/**
 * A JSON answer with a validator (ETag) and a Cache-Control of its own: a request whose If-None-Match
 * names the ETag is answered 304 with no body. `Vary: Authorization` because what a signed-in operator
 * sees may differ from what everyone else sees under the same URL.
 */
export class Cacheable {
  constructor(
    readonly body: unknown,
    readonly etag: string,
    readonly cacheControl: string,
  ) {}
}

/** A route as the platform mounts it: who may call it is part of its definition, so it cannot be forgotten. */
export interface RouteDef {
  method: Method;
  path: string;
  summary: string;
  access: 'public' | readonly Role[];
  idempotent: boolean;
  rawBody: boolean;
  status: number;
  before: RequestHandler[];
  schemas: { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType; response: z.ZodType | null };
  doc: RouteDoc;
  /** The API description's group (tag) of the route: its module's, set where the app puts its routes together. */
  tag?: string;
  handle(ctx: Context<Principal | undefined, unknown, unknown, unknown>): Promise<unknown>;
  recognise?(ctx: Context<Principal | undefined, unknown, unknown, unknown> & { idempotencyId: string }): Promise<unknown>;
}

/** A route only the given roles may call. The handler gets the caller's principal, narrowed to those roles. */
export function route<R extends Role, Res extends z.ZodType | null, B = undefined, Q = undefined, Prm = undefined>(
  spec: Common<B, Q, Prm, Res> & {
    access: readonly R[];
    handle(ctx: Context<Extract<Principal, { role: R }>, B, Q, Prm>): Promise<Answer<Res>>;
    /**
     * Idempotent routes whose handler creates a record under `idempotencyId`: the answer for that record
     * if an earlier attempt of the request made it (and its answer was lost), else undefined. Asked
     * before a refusal is answered, so a retry gets what it made whatever a check says now.
     */
    recognise?(ctx: Context<Extract<Principal, { role: R }>, B, Q, Prm> & { idempotencyId: string }): Promise<Answer<Res> | undefined>;
  },
): RouteDef {
  return define(spec, spec.access, spec.handle as RouteDef['handle'], spec.recognise as RouteDef['recognise']);
}

/** A route anyone may call, signed in or not. */
export function publicRoute<Res extends z.ZodType | null, B = undefined, Q = undefined, Prm = undefined>(
  spec: Common<B, Q, Prm, Res> & { handle(ctx: Context<Principal | undefined, B, Q, Prm>): Promise<Answer<Res>> },
): RouteDef {
  return define(spec, 'public', spec.handle as RouteDef['handle']);
}

function define<B, Q, Prm, Res extends z.ZodType | null>(
  spec: Common<B, Q, Prm, Res>,
  access: RouteDef['access'],
  handle: RouteDef['handle'],
  recognise?: RouteDef['recognise'],
): RouteDef {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    access,
    idempotent: spec.idempotent ?? false,
    rawBody: spec.rawBody ?? false,
    status: spec.status ?? 200,
    before: spec.before ?? [],
    schemas: { body: spec.body, query: spec.query, params: spec.params, response: spec.response },
    doc: spec.doc ?? {},
    handle,
    recognise,
  };
}

/**
 * `validateResponses` (VALIDATE_RESPONSES, on in the tests, off by default: it costs a parse of every answer) checks
 * every JSON success answer against its route's response schema, so that docs/openapi.yaml cannot say what is not so.
 */
/** Routes as one group (tag) of the API description. */
export function tagged(tag: string, ...groups: RouteDef[][]): RouteDef[] {
  return groups.flat().map((def) => ({ ...def, tag }));
}

/**
 * `audit` (the app's audit log; docs/operator-console.md § 审计日志): every request but a GET by an operator is
 * recorded before anything else of its route runs, and completed with its outcome before it is answered (auditHooks).
 */
export function mountRoutes(
  routes: readonly RouteDef[],
  idempotency: IdempotencyStore,
  options: { validateResponses?: boolean; audit?: AuditTrail } = {},
): RequestHandler {
  const checked = (def: RouteDef, status: number, body: unknown) => (options.validateResponses && status < 400 ? checkAnswer(def, body) : body);
  const groups = new Map<string, Router>();
  for (const def of routes) {
    const prefix = literalPrefix(def.path);
    const router = groups.get(prefix) ?? Router();
    groups.set(prefix, router);
    const audit = options.audit ? auditHooks(options.audit, def.path) : undefined;
    // An idempotent route runs its middleware itself, once it knows the request is not a replay.
    const middleware = [...(audit ? [audit.start] : []), ...(def.idempotent ? [] : def.before)];
    const afterwards = audit ? [audit.refused] : [];
    const handler = async (req: Request, res: Response) => {
      const principal = authorize(def, req.principal);
      const input = {
        params: parse(def.schemas.params, req.params, 'params', 'invalid_path'),
        query: def.schemas.query ? parse(def.schemas.query, req.query, 'query', 'invalid_query') : refuseQuery(req),
        body: parseBody(def, req),
      };
      const context = (idempotencyId?: string) => ({ principal, ...input, req, res, idempotencyId });
      const { status, body } = def.idempotent ? await runIdempotent(def, req, idempotency, context) : { status: def.status, body: await def.handle(context()) };
      await audit?.succeeded(req, res, body instanceof Reply ? body.status : status, body);
      if (body === undefined) res.status(status).end();
      else if (body instanceof Cacheable) sendCacheable(req, res, status, new Cacheable(checked(def, status, body.body), body.etag, body.cacheControl));
      else if (body instanceof Reply) res.status(body.status).type(body.contentType).send(body.body);
      else if (body instanceof Download) sendDownload(req, res, status, body);
      else if (status >= 400) res.status(status).type('application/problem+json').send(JSON.stringify(body));
      else res.status(status).json(checked(def, status, body));
    };
    router[def.method](def.path, ...middleware, handler, ...afterwards);
  }
  return dispatchByPrefix(groups);
}

/**
 * The routes sharing a request's first two path segments, found by one lookup: express tries a router's routes one
 * after another, and walking all 150 of them for every request cost a sixth of the CPU of a pledge (0.495 -> 0.410 ms)
 * (docs/benchmarks/pledges-profile.md). A route whose first two segments are not both literal (`/c/:id/...`) is in the
 * group of its first segment, tried after: no route of one group can match a path of another, so the order of the
 * routes that can match a request is unchanged.
 */
function dispatchByPrefix(groups: ReadonlyMap<string, Router>): RequestHandler {
  return (req, res, next) => {
    // Lower case: express matches paths regardless of case.
    const [, first = '', second = ''] = req.path.toLowerCase().split('/', 3);
    const exact = groups.get(`/${first}/${second}`);
    const shorter = groups.get(`/${first}`);
    if (exact) exact(req, res, shorter ? (error?: unknown) => (error ? next(error) : shorter(req, res, next)) : next);
    else if (shorter) shorter(req, res, next);
    else next();
  };
}

/** `/v1/campaigns` for /v1/campaigns/:id/pledges; `/c` for /c/:id/poster.png. */
function literalPrefix(path: string): string {
  const literal = (segment: string | undefined) => segment !== undefined && segment !== '' && !/[:*{(]/.test(segment);
  const [, first, second] = path.split('/', 3);
  if (!literal(first)) throw new Error(`A route's path must start with a literal segment: ${path}`);
  return (literal(second) ? `/${first}/${second}` : `/${first}`).toLowerCase();
}

/**
 * The answer as it is sent, if its route's response schema describes it exactly: every field it has is described
 * (nothing the schema would strip) and holds what the schema says. Anything else is a 500 naming the differences.
 */
function checkAnswer(def: RouteDef, body: unknown): unknown {
  const sent: unknown = JSON.parse(JSON.stringify(body));
  const result = def.schemas.response ? def.schemas.response.safeParse(sent) : undefined;
  if (result?.success && isDeepStrictEqual(result.data, sent)) return body;
  const why = !result
    ? 'the route says it answers no JSON body'
    : result.success
      ? `it has fields the schema does not describe: ${[...new Set(undescribed(sent, result.data))].slice(0, 10).join(', ')}`
      : result.error.issues.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`).join('; ');
  throw new AppError(
    500,
    'response_not_as_described',
    `The answer of ${def.method.toUpperCase()} ${def.path} is not what its response schema describes: ${why}.`,
  );
}

/** The paths of the fields of `sent` that parsing dropped (array indexes as []). */
function undescribed(sent: unknown, parsed: unknown, at = ''): string[] {
  if (Array.isArray(sent) && Array.isArray(parsed)) return sent.flatMap((item, i) => undescribed(item, parsed[i], `${at}[]`));
  if (sent === null || typeof sent !== 'object' || parsed === null || typeof parsed !== 'object') return [];
  return Object.entries(sent).flatMap(([key, value]) =>
    key in parsed ? undescribed(value, (parsed as Record<string, unknown>)[key], `${at}.${key}`) : [`${at}.${key}`.slice(1)],
  );
}

function sendDownload(req: Request, res: Response, status: number, file: Download): void {
  res.status(status).type(file.contentType);
  // Our own file names are plain ASCII, so the inline form needs no encoding.
  if (file.options.inline) res.setHeader('Content-Disposition', `inline; filename="${file.filename}"`);
  else res.attachment(file.filename);
  if (file.options.etag) res.setHeader('ETag', file.options.etag);
  if (file.options.cacheControl) res.setHeader('Cache-Control', file.options.cacheControl);
  if (file.options.etag && req.fresh) res.status(304).end();
  else res.send(file.content);
}

function sendCacheable(req: Request, res: Response, status: number, answer: Cacheable): void {
  res.setHeader('ETag', answer.etag);
  res.setHeader('Cache-Control', answer.cacheControl);
  res.vary('Authorization');
  res.status(status);
  // express's req.fresh compares If-None-Match with the ETag just set (weakly, as RFC 9110 says for GET).
  if (req.fresh) res.status(304).end();
  else res.json(answer.body);
}

function authorize(def: RouteDef, principal: Principal | undefined): Principal | undefined {
  if (def.access === 'public') return principal;
  if (!principal) throw unauthenticated();
  if (!def.access.includes(principal.role)) throw forbidden();
  return principal;
}

type RouteContext = Parameters<RouteDef['handle']>[0];

async function runIdempotent(
  def: RouteDef,
  req: Request,
  store: IdempotencyStore,
  context: (idempotencyId: string) => RouteContext,
): Promise<{ status: number; body: unknown }> {
  const key = req.get('Idempotency-Key');
  if (key === undefined)
    throw badRequest(
      'idempotency_key_required',
      'This request moves money: send an Idempotency-Key header (a unique value such as a UUID) so that a retry cannot repeat it.',
    );
  if (!IdempotencyStore.validKey(key)) throw badRequest('invalid_idempotency_key', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
  const subject = subjectOf(req.principal);
  const started = await store.start(subject, key, IdempotencyStore.fingerprint(req.method, req.path, req.body));
  if (started.kind === 'replay') {
    req.res?.setHeader('Idempotent-Replayed', 'true');
    return { status: started.status, body: started.body };
  }
  const idempotencyId = store.recordId(subject, key);
  const ctx = { ...context(idempotencyId), idempotencyId };
  try {
    // A replay was answered above without counting against the rate limits; a new request counts.
    const body = await runMiddleware(def.before, req, ctx.res)
      .then(() => def.handle(ctx))
      .catch(async (refusal: unknown) => {
        const made = refusal instanceof AppError && refusal.status < 500 && def.recognise ? await def.recognise(ctx) : undefined;
        if (made === undefined) throw refusal;
        return made;
      });
    await store.complete(started.id, def.status, body);
    return { status: def.status, body };
  } catch (error) {
    if (IdempotencyStore.isFinal(error)) await store.complete(started.id, (error as AppError).status, toProblem(error, req));
    else await store.release(started.id);
    throw error;
  }
}

/** Runs middleware inside a route's own flow: an error it passes on (a rate limit's 429) is thrown. */
async function runMiddleware(handlers: readonly RequestHandler[], req: Request, res: Response): Promise<void> {
  for (const handler of handlers) {
    await new Promise<void>((resolve, reject) => {
      Promise.resolve(handler(req, res, (error?: unknown) => (error ? reject(error) : resolve()))).catch(reject);
    });
  }
}

function refuseQuery(req: Request): undefined {
  const names = Object.keys(req.query as object);
  if (names.length > 0) throw badRequest('invalid_query', `This request takes no query parameters (got ${names.slice(0, 5).join(', ')}).`);
  return undefined;
}

function parseBody(def: RouteDef, req: Request): unknown {
  if (def.rawBody) {
    if (!req.is(['application/json', 'application/x-www-form-urlencoded']))
      throw new AppError(
        415,
        'unsupported_media_type',
        'Send the body as JSON ("Content-Type: application/json") or as a form ("application/x-www-form-urlencoded").',
      );
    return req.rawBody ?? Buffer.alloc(0);
  }
  if (!def.schemas.body) {
    if (req.body !== undefined && Object.keys(req.body as object).length > 0) throw badRequest('unexpected_body', 'This request takes no body.');
    return undefined;
  }
  if (!req.is('application/json')) throw new AppError(415, 'unsupported_media_type', 'Send the request body as JSON with "Content-Type: application/json".');
  return parse(def.schemas.body, req.body, 'body', 'validation_failed');
}

/** Parses `value` with `schema` as a route parses its input: a 400 `code` listing each bad field (path under `where`, reason) if it fails. */
export function parse(schema: z.ZodType | undefined, value: unknown, where: string, code: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
    ...reasonOf(issue),
  }));
  throw badRequest(code, `The request ${where} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
}

const SIZES = {
  number: ['too_small', 'too_big'],
  bigint: ['too_small', 'too_big'],
  string: ['too_short', 'too_long'],
  array: ['too_few', 'too_many'],
} as const;
const FORMATS: Record<string, string> = { url: 'invalid_url', email: 'invalid_email', date: 'invalid_date', datetime: 'invalid_date' };

/** A zod issue as a FieldError's reason and limit: what clients translate instead of zod's English. */
function reasonOf(issue: z.core.$ZodIssue): Pick<FieldError, 'reason' | 'limit'> {
  switch (issue.code) {
    case 'invalid_type':
      return { reason: issue.input === undefined || issue.input === null ? 'required' : 'invalid_type' };
    case 'too_small':
    case 'too_big': {
      const names = SIZES[issue.origin as keyof typeof SIZES];
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      if (!names) return { reason: 'invalid' };
      if (issue.code === 'too_small' && issue.origin === 'string' && limit === 1) return { reason: 'required' };
      return { reason: names[issue.code === 'too_small' ? 0 : 1], limit };
    }
    case 'invalid_format':
      return { reason: FORMATS[issue.format] ?? 'invalid_format' };
    case 'invalid_value':
      return { reason: 'invalid_option' };
    case 'unrecognized_keys':
      return { reason: 'unknown_field' };
    case 'custom': {
      // A schema's own rule (a refinement): its reason if it gives one (params: { reason, limit }), else clients say "not valid".
      const params = issue.params as { reason?: unknown; limit?: unknown } | undefined;
      if (typeof params?.reason !== 'string') return {};
      return { reason: params.reason, ...(typeof params.limit === 'number' && { limit: params.limit }) };
    }
    default:
      return { reason: 'invalid' };
  }
}
