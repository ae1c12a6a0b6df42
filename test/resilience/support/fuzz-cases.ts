import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import type { RouteDef } from '../../../src/platform/http';
import type { WireRequest } from './fuzz-client';
import type { Role } from '../../../src/platform/http/principal';
import { NASTY_STRINGS, Ref, invalidValue, ref, validValue, type Hints, type Operation, type Parameter, type Schema } from './fuzz-openapi';

/**
 * One generated request, before the ids and tokens are filled in. `refused` marks requests that
 * docs/openapi.yaml (or the platform contract of docs/architecture.md) says must get a 4xx.
 */
export interface FuzzCase {
  op: Operation;
  /** "valid", or the name of the mutation that broke it. */
  label: string;
  refused: boolean;
  method: string;
  /** Values for the path placeholders; a Raw value goes into the path as it is (already percent-encoded, or deliberately not). */
  params: Record<string, unknown>;
  query: [string, unknown][];
  auth: Auth;
  /** undefined: no header; "fresh": a new unique key; otherwise that exact value. */
  idempotencyKey: string | undefined;
  body: Body;
  /** An id for keys and event ids that is unique in the run. */
  serial: number;
}

export class Raw {
  constructor(readonly text: string) {}
}

export type Auth =
  | { kind: 'right'; pick: number }
  | { kind: 'none' }
  | { kind: 'header'; value: string }
  | { kind: 'role'; role: Role; pick: number }
  | { kind: 'revoked' }
  | { kind: 'tampered'; pick: number }
  | { kind: 'alg-none'; pick: number };

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'bytes'; text: string; contentType: string | undefined; gzip?: boolean }
  | {
      kind: 'signed';
      payment: Ref | string;
      outcome: 'succeeded' | 'failed';
      /** -1: a new event id; otherwise one of a few reused ones. */ event: number;
      tamper: 'none' | 'unsigned' | 'garbage' | 'stale' | 'other-secret' | 'body-changed' | 'amount';
    };

/** What the generator needs to know about the app besides the document: who may call each route, and field hints. */
export interface CaseContext {
  routeOf(op: Operation): RouteDef;
  hints: Hints;
  /** Operation-specific generators of valid bodies, where the schema alone cannot express the rules between fields. */
  bodies: Record<string, fc.Arbitrary<unknown>>;
  /**
   * Where an operation's {id} mostly comes from, when its own kind of record would rarely be in the
   * state it acts on (a pledge goes to an open campaign; a balance is asked of a pledge awaiting one).
   */
  pathPools: Record<string, [pool: string, weight: number][]>;
}

const ROLES: Role[] = ['consumer', 'operator', 'factory'];
const NOTIFICATIONS = 'post /v1/payments/notifications/{provider}';
const serial = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** The kind of record an id in a path names: the segment before it ("campaigns", "api-keys", …). */
export function poolOf(op: Operation, param: string): string {
  const segments = op.path.split('/');
  return segments[segments.indexOf(`{${param}}`) - 1];
}

const pathParams = (op: Operation) => op.params.filter((p) => p.in === 'path');
const queryParams = (op: Operation) => op.params.filter((p) => p.in === 'query');

function validParams(op: Operation, ctx: CaseContext): fc.Arbitrary<Record<string, unknown>> {
  const idOf = (p: Parameter) => {
    if (p.name === 'provider') return fc.constant('sandbox');
    // The money desk's record view names the kind of record before its id.
    if (p.name === 'kind') return fc.constantFrom(...MONEY_KINDS);
    const pools = ctx.pathPools[op.name];
    return pools ? fc.oneof(...pools.map(([pool, weight]) => ({ weight, arbitrary: ref(pool) }))) : ref(poolOf(op, p.name));
  };
  return fc.record(Object.fromEntries(pathParams(op).map((p) => [p.name, idOf(p)])));
}

function validQuery(op: Operation, hints: Hints): fc.Arbitrary<[string, unknown][]> {
  const params = queryParams(op);
  return fc
    .tuple(
      ...params.map((p) => (p.required ? validValue(p.schema, hints, p.name) : fc.option(validValue(p.schema, hints, p.name), { nil: undefined, freq: 2 }))),
    )
    .map((values) => params.flatMap((p, i) => (values[i] === undefined ? [] : [[p.name, values[i]] as [string, unknown]])));
}

function validBody(op: Operation, ctx: CaseContext): fc.Arbitrary<Body> {
  if (op.name === NOTIFICATIONS) {
    // A new event id (-1) each time; the replay mutation reuses a few.
    return fc
      .record({ payment: ref('payments'), outcome: fc.constantFrom<'succeeded' | 'failed'>('succeeded', 'succeeded', 'succeeded', 'failed') })
      .map((b) => ({ kind: 'signed', ...b, event: -1, tamper: 'none' }));
  }
  if (!op.body) return fc.constant({ kind: 'none' });
  return (ctx.bodies[op.name] ?? validValue(op.body, ctx.hints)).map((value) => ({ kind: 'json', value }));
}

function rightAuth(op: Operation): fc.Arbitrary<Auth> {
  // Public routes are called anonymously mostly, and by signed-in callers sometimes (operators see drafts).
  const right = fc.nat().map((pick): Auth => ({ kind: 'right', pick }));
  return op.isPublic ? fc.oneof({ weight: 3, arbitrary: fc.constant<Auth>({ kind: 'none' }) }, { weight: 1, arbitrary: right }) : right;
}

/** A request the document says is well-formed, by a caller of a role the route is for. */
export function validCase(op: Operation, ctx: CaseContext): fc.Arbitrary<FuzzCase> {
  return fc.record({ params: validParams(op, ctx), query: validQuery(op, ctx.hints), auth: rightAuth(op), body: validBody(op, ctx), serial }).map((parts) => ({
    op,
    label: 'valid',
    refused: false,
    method: op.method.toUpperCase(),
    idempotencyKey: ctx.routeOf(op).idempotent ? 'fresh' : undefined,
    ...parts,
  }));
}

type Mutation = [label: string, refused: boolean, arb: fc.Arbitrary<Partial<FuzzCase>>];

/** Ways to break a valid request; each says whether the result must be refused. */
function mutations(op: Operation, ctx: CaseContext, methodsOfPath: string[]): Mutation[] {
  const route = ctx.routeOf(op);
  const list: Mutation[] = [];
  const body = op.body;
  const bodyKind = op.name === NOTIFICATIONS || body !== undefined;

  // The body.
  if (body && op.name !== NOTIFICATIONS) {
    const invalid = invalidValue(body, ctx.hints);
    if (invalid) list.push(['body: breaks the schema', true, invalid.map((value) => ({ body: { kind: 'json', value } }))]);
    // A value refused by one branch of a oneOf may fit another: only a body that is no object at all surely fits none.
    if (body.oneOf)
      list.push(['body: fits no branch', true, fc.constantFrom<unknown>([], 'text', 7, null, true).map((value) => ({ body: { kind: 'json', value } }))]);
    list.push([
      'body: nasty strings',
      false,
      fc
        .tuple(validBody(op, ctx), fc.constantFrom(...NASTY_STRINGS), fc.nat())
        .map(([b, nasty, n]) => ({ body: b.kind === 'json' ? { kind: 'json', value: replaceAString(b.value, nasty, n) } : b })),
    ]);
    list.push([
      'body: huge and negative numbers',
      false,
      fc
        .tuple(validBody(op, ctx), fc.constantFrom(-1, 0, -0.5, 2 ** 53 + 1, 1e308, -1e308, 1.7976931348623157e308, 4.9e-324), fc.nat())
        .map(([b, number, n]) => ({ body: b.kind === 'json' ? { kind: 'json', value: replaceANumber(b.value, number, n) } : b })),
    ]);
    list.push([
      'content type: not JSON',
      true,
      fc
        .tuple(
          validBody(op, ctx),
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', undefined),
        )
        .map(([b, contentType]) => ({ body: { kind: 'bytes', text: JSON.stringify(b.kind === 'json' ? b.value : {}), contentType } })),
    ]);
  }
  if (!bodyKind)
    list.push([
      'body: where none is taken',
      true,
      fc.constantFrom<unknown>({ status: 'paid' }, { userId: 'someone' }, [1]).map((value) => ({ body: { kind: 'json', value } })),
    ]);

  // Bytes that are not JSON, or JSON that cannot be read: refused on every route, since the body is read first.
  list.push([
    'body: broken JSON',
    true,
    fc
      .constantFrom('{"quantity": ', "{'a': 1}", '{"a":1,}', 'NaN', '[1,2', '{"a":1}garbage', '\u0000', '"unterminated')
      .map((text) => ({ body: { kind: 'bytes', text, contentType: 'application/json' } })),
  ]);
  list.push([
    'body: JSON that is not an object',
    true,
    fc.constantFrom('null', '"a string"', '12', 'true').map((text) => ({ body: { kind: 'bytes', text, contentType: 'application/json' } })),
  ]);
  list.push([
    'body: nested 50,000 deep',
    true,
    fc.constantFrom(...deepBodies(body)).map((text) => ({ body: { kind: 'bytes', text, contentType: 'application/json' } })),
  ]);
  list.push([
    'body: charset other than UTF-8',
    true,
    fc
      .constantFrom('latin1', 'utf-16', 'klingon')
      .map((charset) => ({ body: { kind: 'bytes', text: '{}', contentType: `application/json; charset=${charset}` } })),
  ]);
  list.push([
    'body: over the size limit',
    true,
    fc
      .constantFrom(110_000, 400_000)
      .map((size) => ({ body: { kind: 'bytes', text: JSON.stringify({ filler: 'f'.repeat(size) }), contentType: 'application/json' } })),
  ]);
  list.push([
    'body: gzip bomb',
    true,
    fc.constant({ body: { kind: 'bytes', text: JSON.stringify({ filler: 'g'.repeat(3_000_000) }), contentType: 'application/json', gzip: true } }),
  ]);

  // The path.
  for (const p of pathParams(op)) {
    list.push([`path {${p.name}}: malformed`, true, fc.constantFrom(...MALFORMED_SEGMENTS).map((text) => ({ params: { [p.name]: new Raw(text) } }))]);
    const unknown =
      p.name === 'provider'
        ? fc.constant('nope')
        : p.schema.pattern
          ? fc.stringMatching(new RegExp(p.schema.pattern)).map((s) => `zz${s}`.slice(0, 28))
          : fc.uuid({ version: 4 });
    list.push([`path {${p.name}}: no such record`, true, unknown.map((id) => ({ params: { [p.name]: id } }))]);
    if (p.name === 'provider') continue;
    // Where the path names the id's kind itself (the money desk's /{kind}/{id}), another kind is one other than the kind named.
    const namedBy = /^\{(.+)\}$/.exec(poolOf(op, p.name))?.[1];
    const otherKinds = (kind: string) => fc.constantFrom(...ID_POOLS.filter((k) => k !== kind)).chain(ref);
    const wrongId = namedBy
      ? fc.constantFrom(...MONEY_KINDS).chain((kind) => otherKinds(kind).map((id) => ({ [namedBy]: kind, [p.name]: id })))
      : otherKinds(poolOf(op, p.name)).map((id) => ({ [p.name]: id }));
    list.push([`path {${p.name}}: an id of another kind`, true, wrongId.map((params) => ({ params }))]);
  }

  // The query: every route refuses what it does not declare.
  list.push([
    'query: undeclared parameter',
    true,
    fc
      .tuple(fc.constantFrom('userId', 'factoryId', 'ownerId', 'x_debug', 'limit[$gt]', 'status'), fc.constantFrom('1', 'anything', ''))
      .filter(([name]) => !queryParams(op).some((p) => p.name === name))
      .map(([name, value]) => ({ query: [[name, value]] })),
  ]);
  for (const p of queryParams(op)) {
    list.push([`query ${p.name}: invalid`, true, fc.constantFrom(...invalidQueryValues(p)).map((value) => ({ query: [[p.name, value]] }))]);
    list.push([
      `query ${p.name}: repeated`,
      true,
      fc.constant({
        query: [
          [p.name, '1'],
          [p.name, '2'],
        ] as [string, unknown][],
      }),
    ]);
  }

  // Credentials: bad ones are refused on every route, public ones included.
  list.push([
    'auth: malformed header',
    true,
    fc
      .constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', `Bearer ${'x'.repeat(3000)}`, 'Bearer c2mk_0000_x', 'Token abc')
      .map((value) => ({ auth: { kind: 'header', value } })),
  ]);
  list.push(['auth: revoked API key', true, fc.constant({ auth: { kind: 'revoked' } })]);
  list.push(['auth: tampered token', true, fc.nat().map((pick) => ({ auth: { kind: 'tampered', pick } }))]);
  list.push(['auth: alg none', true, fc.nat().map((pick) => ({ auth: { kind: 'alg-none', pick } }))]);
  if (!op.isPublic) {
    list.push(['auth: none', true, fc.constant({ auth: { kind: 'none' } })]);
    const wrong = ROLES.filter((r) => !(route.access as readonly string[]).includes(r));
    if (wrong.length > 0)
      list.push([
        'auth: a role the route is not for',
        true,
        fc.tuple(fc.constantFrom(...wrong), fc.nat()).map(([role, pick]) => ({ auth: { kind: 'role', role, pick } })),
      ]);
  }

  // Idempotency keys.
  if (route.idempotent) {
    list.push([
      'idempotency key: missing or malformed',
      true,
      fc.constantFrom(undefined, '', ' ', 'k'.repeat(256), 'clé-é', 'two words').map((idempotencyKey) => ({ idempotencyKey })),
    ]);
    list.push(['idempotency key: reused', false, fc.nat({ max: 30 }).map((n) => ({ idempotencyKey: `reused-${n}` }))]);
  }

  // Another method on the same path.
  const others = ['get', 'post', 'put', 'patch', 'delete'].filter((m) => !methodsOfPath.includes(m));
  if (others.length > 0) list.push(['method: not served on this path', true, fc.constantFrom(...others).map((m) => ({ method: m.toUpperCase() }))]);

  // Signed notifications from the gateway.
  if (op.name === NOTIFICATIONS) {
    const tampers = ['unsigned', 'garbage', 'stale', 'other-secret', 'body-changed'] as const;
    const signed = (b: Body, change: Partial<Extract<Body, { kind: 'signed' }>>) => ({ body: { ...(b as Extract<Body, { kind: 'signed' }>), ...change } });
    list.push([
      'notification: bad signature or stale',
      true,
      fc.tuple(validBody(op, ctx), fc.constantFrom(...tampers)).map(([b, tamper]) => signed(b, { tamper })),
    ]);
    // A failure takes no money: one that does not match the payment is refused. Money taken that we did
    // not ask for is acknowledged, recorded and refunded (the money invariants and reconcile check it).
    list.push([
      'notification: a failure of another amount, or of an unknown payment',
      true,
      fc
        .tuple(validBody(op, ctx), fc.constantFrom('amount', 'unknown'), fc.uuid({ version: 4 }))
        .map(([b, wrong, uuid]) => signed(b, { outcome: 'failed', ...(wrong === 'amount' ? { tamper: 'amount' } : { payment: uuid }) })),
    ]);
    list.push([
      'notification: money we did not ask for (another amount, an unknown payment)',
      false,
      fc
        .tuple(validBody(op, ctx), fc.constantFrom('amount', 'unknown'), fc.uuid({ version: 4 }))
        .map(([b, wrong, uuid]) => signed(b, { outcome: 'succeeded', ...(wrong === 'amount' ? { tamper: 'amount' } : { payment: uuid }) })),
    ]);
    list.push([
      'notification: replayed event',
      false,
      fc.tuple(validBody(op, ctx), fc.nat({ max: 5 })).map(([b, event]) => ({ body: { ...(b as Extract<Body, { kind: 'signed' }>), event } })),
    ]);
  }
  return list;
}

/** A valid request broken in one way. */
export function invalidCase(op: Operation, ctx: CaseContext, methodsOfPath: string[]): fc.Arbitrary<FuzzCase> {
  const list = mutations(op, ctx, methodsOfPath);
  return fc
    .tuple(validCase(op, ctx), fc.constantFrom(...list))
    .chain(([base, [label, refused, arb]]) => arb.map((change) => ({ ...base, ...change, params: { ...base.params, ...change.params }, label, refused })));
}

/** The kinds of record the money desk's record view serves (`/v1/console/money/{kind}/{id}`). */
const MONEY_KINDS = ['pledges', 'payments', 'refunds', 'subscriptions', 'boxes'];

/** Every kind of record the world keeps ids of. */
export const ID_POOLS = ['factories', 'campaigns', 'pledges', 'payments', 'subscriptions', 'forecast-batches', 'api-keys', 'lines', 'boxes'];

/** Path segments no route accepts as an id: wrong shape, bad percent-encoding, traversal, injection. */
const MALFORMED_SEGMENTS = [
  'not-an-id!',
  '%ZZ',
  '%E0%A4%A',
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  "'%20OR%20'1'%3D'1",
  'A'.repeat(300),
  'ABCDEF01-2345-6789-ABCD-EF0123456789',
  '%F0%9F%98%80',
  '1e9',
  '-1',
  '%20',
];

function invalidQueryValues(p: Parameter): string[] {
  const s = p.schema;
  if (s.type === 'integer') return ['abc', '1.5', '1e400', String((s.minimum ?? 0) - 1), ...(s.maximum !== undefined ? [String(s.maximum + 1)] : [])];
  if (s.enum) return ['not-one-of-them', 'OPEN', '%00'];
  if (s.format === 'date') return ['2027-13-45', 'tomorrow', '27-1-1'];
  if (s.format === 'uuid') return ['not-an-id', '1', "' OR 1=1"];
  return ['\u0000'];
}

/** A body nested 50,000 arrays deep under the first property the route reads, or at the top. */
function deepBodies(body: Schema | undefined): string[] {
  const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
  const first = body?.required?.[0] ?? Object.keys(body?.properties ?? {})[0];
  return first ? [`{"${first}":${deep}}`, deep] : [deep];
}

/** Replaces the n-th string leaf of a value (or the value itself, when it has none). */
function replaceAString(value: unknown, nasty: string, n: number): unknown {
  return replaceLeaf(value, (leaf) => typeof leaf === 'string', nasty, n);
}

function replaceANumber(value: unknown, number: number, n: number): unknown {
  return replaceLeaf(value, (leaf) => typeof leaf === 'number', number, n);
}

function replaceLeaf(value: unknown, matches: (leaf: unknown) => boolean, replacement: unknown, n: number): unknown {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (matches(v)) paths.push(path);
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (v && typeof v === 'object' && !(v instanceof Ref)) Object.entries(v).forEach(([k, item]) => walk(item, [...path, k]));
  };
  walk(value, []);
  if (paths.length === 0) return value;
  const target = paths[n % paths.length];
  if (target.length === 0) return replacement;
  const copy = cloneTemplate(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of target.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[target.at(-1)!] = replacement;
  return copy;
}

/** The bytes of a `bytes` body, gzipped when asked (a small request that inflates past the limit); each bomb is made once. */
export function bodyBytes(body: Extract<Body, { kind: 'bytes' }>): Buffer {
  if (!body.gzip) return Buffer.from(body.text);
  const made = gzipped.get(body.text) ?? gzipSync(Buffer.from(body.text));
  gzipped.set(body.text, made);
  return made;
}
const gzipped = new Map<string, Buffer>();

/** A copy of a generated value that keeps its Refs (structuredClone would turn them into plain objects) and "__proto__" keys. */
function cloneTemplate(value: unknown): unknown {
  return mapTemplate(value, (ref) => ref);
}

function mapTemplate(value: unknown, onRef: (ref: Ref) => unknown): unknown {
  if (value instanceof Ref) return onRef(value);
  if (Array.isArray(value)) return value.map((item) => mapTemplate(item, onRef));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(out, key, { value: mapTemplate(item, onRef), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** What filling in a case needs from the running world. */
export interface WireContext {
  /** The n-th record of a pool (modulo its size); a fresh random id when the pool is empty. */
  pick(pool: string, n: number): unknown;
  /** Credentials of callers of the given roles, for an operation: user tokens and, for factories, API keys. */
  credentials(roles: readonly Role[], operation: string): { Authorization: string }[];
  /** Signed-in users' tokens (JWTs), to tamper with. */
  tokens(): string[];
  revokedKey: { Authorization: string };
  routeOf(op: Operation): RouteDef;
  /** A unique Idempotency-Key. */
  freshKey(): string;
  /** A sandbox notification for a payment, signed (or mis-signed) as asked. */
  notification(paymentId: string, body: Extract<Body, { kind: 'signed' }>): Promise<{ headers: Record<string, string>; body: Buffer }>;
}

/**
 * Percent-encoded as a client would send it. A lone surrogate (generated strings have them) has no UTF-8 form and
 * encodeURIComponent refuses it: it goes out as the three bytes a careless encoder writes for it, invalid UTF-8,
 * which the service must refuse or read, never fail on.
 */
function percentEncoded(text: string): string {
  return text.replace(/[\s\S]/gu, (char) => {
    const unit = char.charCodeAt(0);
    if (char.length === 2 || unit < 0xd800 || unit > 0xdfff) return encodeURIComponent(char);
    return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  });
}

/** The case with its ids, tokens and keys filled in, as bytes on the wire. */
export async function toWire(c: FuzzCase, ctx: WireContext): Promise<WireRequest> {
  const fill = (value: unknown) => mapTemplate(value, (r) => ctx.pick(r.pool, r.pick));
  const path = c.op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = c.params[name];
    return value instanceof Raw ? value.text : percentEncoded(String(fill(value)));
  });
  const query = c.query.map(([name, value]) => `${percentEncoded(name)}=${percentEncoded(String(fill(value)))}`).join('&');
  const headers: Record<string, string> = {};
  const auth = authHeader(c, ctx);
  if (auth !== undefined) headers.authorization = auth;
  if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey === 'fresh' ? ctx.freshKey() : c.idempotencyKey;
  let body: Buffer | undefined;
  if (c.body.kind === 'json') {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(fill(c.body.value)));
  } else if (c.body.kind === 'bytes') {
    if (c.body.contentType !== undefined) headers['content-type'] = c.body.contentType;
    if (c.body.gzip) headers['content-encoding'] = 'gzip';
    body = bodyBytes(c.body);
  } else if (c.body.kind === 'signed') {
    const paymentId = c.body.payment instanceof Ref ? String(fill(c.body.payment)) : c.body.payment;
    const signed = await ctx.notification(paymentId, c.body);
    Object.assign(headers, signed.headers);
    body = signed.body;
  }
  return { method: c.method, path: query ? `${path}?${query}` : path, headers, body };
}

function authHeader(c: FuzzCase, ctx: WireContext): string | undefined {
  const one = <T>(items: T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);
  const roles = c.op.isPublic ? ROLES : (ctx.routeOf(c.op).access as readonly Role[]);
  switch (c.auth.kind) {
    case 'none':
      return undefined;
    case 'header':
      return c.auth.value;
    case 'right':
      return one(ctx.credentials(roles, c.op.name), c.auth.pick)?.Authorization;
    case 'role':
      return one(ctx.credentials([c.auth.role], c.op.name), c.auth.pick)?.Authorization;
    case 'revoked':
      return ctx.revokedKey.Authorization;
    case 'tampered': {
      // A real token with its claims changed (role raised to operator, life extended by a day), its signature kept.
      const [header, payload, signature] = one(ctx.tokens(), c.auth.pick)!.split('.');
      const original = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number };
      const claims = { ...original, role: 'operator', exp: original.exp + 86_400 };
      return `Bearer ${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    }
    case 'alg-none': {
      // The same claims, "signed" with alg none: a verifier that trusts the header would accept it.
      const payload = one(ctx.tokens(), c.auth.pick)!.split('.')[1];
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return `Bearer ${header}.${payload}.`;
    }
  }
}
