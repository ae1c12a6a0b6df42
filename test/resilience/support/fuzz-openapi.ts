import fc from 'fast-check';
import { loadOpenApi } from '../../support/openapi';

/**
 * docs/openapi.yaml read as the fuzzer needs it: every operation with its parameters and body schema,
 * and fast-check arbitraries that build values from a JSON schema, valid ones and ones the schema
 * promises to refuse.
 */

/** The subset of JSON Schema docs/openapi.yaml uses. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** "post /v1/campaigns/{id}/pledges": the name used in reports and status counts. */
  name: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path, with {name} placeholders. */
  path: string;
  params: Parameter[];
  body: Schema | undefined;
  isPublic: boolean;
  /** The statuses the document lists for the operation. */
  statuses: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Spec = {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: unknown[]; requestBody?: { content?: Record<string, { schema: Schema }> }; security?: unknown[]; responses?: Record<string, unknown> }
    >
  >;
  components: Record<string, Record<string, unknown>>;
};

export function loadSpec(): Spec {
  return loadOpenApi() as unknown as Spec;
}

/** Follows `#/components/...` references. */
export function deref<T>(spec: Spec, value: T | { $ref: string }): T {
  let current: unknown = value;
  while (current && typeof current === 'object' && '$ref' in current && typeof (current as { $ref: unknown }).$ref === 'string') {
    const parts = (current as { $ref: string }).$ref.replace(/^#\//, '').split('/');
    current = parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], spec);
  }
  return current as T;
}

/** Every operation of the document; the ops routes (/healthz and co.) are left to their own tests. */
export function operationsOf(spec: Spec): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? [])
        .map((p) => deref<Parameter>(spec, p as Parameter))
        .map((p) => ({ ...p, required: p.required ?? false, schema: resolveSchema(spec, p.schema) }));
      const json = op.requestBody?.content?.['application/json'];
      operations.push({
        name: `${method} ${path}`,
        method,
        path,
        params,
        body: json ? resolveSchema(spec, json.schema) : undefined,
        isPublic: Array.isArray(op.security) && op.security.length === 0,
        statuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return operations;
}

/** A schema with every $ref replaced and allOf merged, so that generators see plain schemas. */
export function resolveSchema(spec: Spec, schema: Schema): Schema {
  const s = deref<Schema>(spec, schema);
  if (s.allOf) {
    const parts = s.allOf.map((part) => resolveSchema(spec, part));
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
      required: parts.flatMap((p) => p.required ?? []),
      ...(parts.some((p) => p.additionalProperties === false) ? { additionalProperties: false } : {}),
    };
  }
  const out: Schema = { ...s };
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolveSchema(spec, v)]));
  if (s.items) out.items = resolveSchema(spec, s.items);
  if (s.oneOf) out.oneOf = s.oneOf.map((b) => resolveSchema(spec, b));
  if (s.anyOf) out.anyOf = s.anyOf.map((b) => resolveSchema(spec, b));
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.additionalProperties = resolveSchema(spec, s.additionalProperties);
  return out;
}

/**
 * A value to be filled in when the request is sent: an id from the pools of records the run has seen
 * (seeded, or created by earlier requests). Generation stays pure and replayable from the seed.
 */
export class Ref {
  constructor(
    readonly pool: string,
    readonly pick: number,
  ) {}
}
export const ref = (pool: string) => fc.nat().map((n) => new Ref(pool, n));

/** Property names whose values the schema alone would almost never make meaningful: ids of real records, known enums. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const typesOf = (s: Schema): string[] =>
  Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.properties || s.additionalProperties ? ['object'] : s.items ? ['array'] : [];

const TEXT_UNITS = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 -_.'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom('é', '中', '文', '羽', '😀', '\u0301', 'ß', 'Ω', '\u200b', '"', "'", '<', '>', '&', '\\', '%', '=', '+', '@') },
);

const day = 86_400_000;
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * day).toISOString().slice(0, 10);

/** An arbitrary of values the schema accepts (hints first, by property name). */
export function validValue(schema: Schema, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  if (name !== undefined && hints[name]) return hints[name];
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) return fc.oneof(...branches.map((b) => validValue(b, hints, name)));
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, hints, name)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      // Mostly near the lower bound, where quantities live, sometimes anywhere up to the upper one.
      const int = fc.oneof(fc.integer({ min, max: Math.min(max, min + 10) }), fc.integer({ min, max }), fc.constantFrom(min, max));
      return types[0] === 'integer' ? int : fc.oneof(int, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
    }
    case 'string':
      return validString(schema);
    case 'array':
      return fc.array(validValue(schema.items ?? {}, hints, name), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      });
    case 'object':
      return validObject(schema, hints);
    default:
      return fc.constant({});
  }
}

function validString(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'date':
      return fc.integer({ min: -2, max: 60 }).map(isoDay);
    case 'date-time':
      return fc.integer({ min: -2 * 24, max: 60 * 24 }).map((hours) => new Date(Date.now() + hours * 3600_000).toISOString());
    case 'uuid':
      return fc.uuid({ version: 4 });
    case 'email':
      return fc.stringMatching(/^[a-z][a-z0-9]{2,12}@example\.com$/);
    case 'uri':
      return fc.stringMatching(/^https:\/\/[a-z]{3,10}\.example\/[a-z]{0,8}$/);
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 60;
  const nasty = NASTY_STRINGS.filter((text) => text.length >= minLength && text.length <= maxLength);
  return fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: TEXT_UNITS, minLength, maxLength: Math.max(minLength, Math.min(maxLength, 40)) }) },
    // The longest value the schema allows, in ASCII so that length in characters is length in code units.
    { weight: 1, arbitrary: fc.constant('x'.repeat(maxLength)) },
    // Strings the schema allows that break naive code.
    { weight: 1, arbitrary: fc.constantFrom(...nasty) },
  );
}

function validObject(schema: Schema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0) {
    const values =
      schema.additionalProperties && typeof schema.additionalProperties === 'object' ? validValue(schema.additionalProperties, hints) : fc.string();
    return fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), values, { maxKeys: 3 });
  }
  const record = fc.record(Object.fromEntries(names.map((n) => [n, validValue(properties[n], hints, n)])), { requiredKeys: schema.required ?? [] });
  const minProperties = schema.minProperties ?? 0;
  return minProperties > 0 ? record.filter((o) => Object.keys(o).length >= minProperties) : record;
}

/** Strings that break naive code: injections, prototype names, control characters, odd unicode. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  "' OR '1'='1",
  '"; DROP TABLE pledges; --',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '../../../etc/passwd',
  '%00',
  '%ZZ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\u202eevil',
  '😀😀😀',
  'Ω≈ç√∫',
  '\uffff',
  '\ud800',
  '=HYPERLINK("http://evil.example","x")',
  '@SUM(1,2)',
  '+1+1',
  '\t=1',
  'A'.repeat(5000),
  '中文'.repeat(300),
];

/** Field names a client must never set: server-owned state, amounts, owners. */
export const FORBIDDEN_FIELDS = [
  'id',
  'status',
  'userId',
  'ownerId',
  'owner',
  'factoryId',
  'role',
  'amount',
  'deposit',
  'depositPerUnit',
  'reservedUnits',
  'version',
  'createdAt',
  'paidAt',
  'secret',
  'apiKeyId',
  'isAdmin',
  '__proto__',
];

/** A JSON value of a type the schema does not allow. */
function wrongType(schema: Schema): fc.Arbitrary<unknown> {
  const allowed = new Set(typesOf(schema));
  if (allowed.has('integer')) allowed.add('number');
  const candidates: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.constantFrom('1', 'true', 'x', '')],
    ['number', fc.constantFrom(1.5, -7, 0)],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['object', fc.constant({ nested: { deep: [1, 2] } })],
    ['array', fc.constant(['a', 1, null])],
  ];
  const wrong = candidates.filter(([type]) => !allowed.has(type)).map(([, arb]) => arb);
  return fc.oneof(...wrong);
}

/**
 * An arbitrary of values the schema refuses. `undefined` when the schema accepts anything (no type).
 * Under oneOf/anyOf a value refused by one branch may fit another, so those are never "refused for sure".
 */
export function invalidValue(schema: Schema, hints: Hints): fc.Arbitrary<unknown> | undefined {
  if (schema.oneOf || schema.anyOf) return undefined;
  const types = typesOf(schema);
  if (types.length === 0 && schema.enum === undefined && schema.const === undefined) return undefined;
  const options: fc.Arbitrary<unknown>[] = [];
  if (types.length > 0) options.push(wrongType(schema));
  if (schema.enum) options.push(fc.constantFrom('not-one-of-them', 'OPEN', ' open'));
  if (types.includes('string') && !schema.enum) {
    if (schema.maxLength !== undefined) options.push(fc.integer({ min: 1, max: 50 }).map((extra) => 'y'.repeat(schema.maxLength! + extra)));
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant('z'.repeat(schema.minLength! - 1)));
    const format = schema.pattern ? new RegExp(schema.pattern) : FORMAT_CHECKS[schema.format ?? ''];
    if (format)
      options.push(fc.constantFrom(...[...NASTY_STRINGS, 'Not An Id', '2027-13-45', 'javascript:alert(1)', 'ftp://x.example/'].filter((s) => !format.test(s))));
  }
  if (types.includes('integer') || types.includes('number')) {
    if (schema.minimum !== undefined) options.push(fc.constantFrom(schema.minimum - 1, -1e15, -(2 ** 53)).filter((v) => v < schema.minimum!));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(schema.maximum + 1, 1e308, 2 ** 53 + 2).filter((v) => v > schema.maximum!));
    if (types.includes('integer') && !types.includes('number')) options.push(fc.constantFrom(0.5, 1.25, 3.000001));
  }
  if (types.includes('array')) {
    if (schema.maxItems !== undefined && schema.items)
      options.push(fc.array(validValue(schema.items, hints), { minLength: schema.maxItems + 1, maxLength: schema.maxItems + 1 }));
    if ((schema.minItems ?? 0) > 0) options.push(fc.constant([]));
    const badItem = schema.items ? invalidValue(schema.items, hints) : undefined;
    if (badItem && schema.items) options.push(fc.tuple(fc.array(validValue(schema.items, hints), { maxLength: 2 }), badItem).map(([ok, bad]) => [...ok, bad]));
  }
  if (types.includes('object') && schema.properties) options.push(...invalidObjects(schema, hints));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

/** Objects missing a required property, with a property of the wrong kind, or with a property the schema does not know. */
export function invalidObjects(schema: Schema, hints: Hints): fc.Arbitrary<unknown>[] {
  const properties = schema.properties ?? {};
  const required = schema.required ?? [];
  const base = validObject(schema, hints);
  const options: fc.Arbitrary<unknown>[] = [];
  if (required.length > 0) {
    options.push(fc.tuple(base, fc.constantFrom(...required)).map(([value, drop]) => omit(value, drop)));
  }
  const badProperties = Object.entries(properties).flatMap(([name, s]) => {
    const bad = invalidValue(s, hints);
    return bad ? [fc.tuple(fc.constant(name), bad)] : [];
  });
  if (badProperties.length > 0) options.push(fc.tuple(base, fc.oneof(...badProperties)).map(([value, [name, bad]]) => ({ ...value, [name]: bad })));
  if (schema.additionalProperties === false) {
    const unknown = fc.oneof(fc.constantFrom(...FORBIDDEN_FIELDS.filter((f) => !(f in properties))), fc.stringMatching(/^x_[a-z]{1,8}$/));
    options.push(
      fc.tuple(base, unknown, fc.constantFrom<unknown>('paid', 0, '0.00', true, null, { $gt: '' })).map(([value, key, extra]) => withKey(value, key, extra)),
    );
  }
  return options;
}

/** Checks for the formats the document uses, for telling a refused string from an accepted one. */
const FORMAT_CHECKS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T/,
  email: /@/,
  uri: /^https?:\/\//,
};

function omit(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

/** `{...value, [key]: extra}`, also for "__proto__", which an object literal would take as the prototype. */
function withKey(value: Record<string, unknown>, key: string, extra: unknown): Record<string, unknown> {
  const copy = { ...value };
  Object.defineProperty(copy, key, { value: extra, enumerable: true, writable: true, configurable: true });
  return copy;
}
