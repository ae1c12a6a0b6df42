import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { apiDescription } from '../../src/api-description';
import { publicRoute } from '../../src/platform/http';
import { OPENAPI_FILE } from '../../src/platform/http/ops';
import { loadOpenApi } from '../support/openapi';
import { MONEY_PATTERN } from '../../src/platform/money';
import { serveRoutes, startTestApp, type TestApp } from '../support/app';

/** docs/openapi.yaml and the routes the app really serves must describe the same API (and every answer is checked against it: VALIDATE_RESPONSES). */
type JsonSchema = { $ref?: string; pattern?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema };
type Operation = {
  summary?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};
const spec = loadOpenApi() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, JsonSchema> } };
const OPS_ROUTES = ['get /healthz', 'get /readyz', 'get /metrics'];
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const toOpenApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');
const documented = () =>
  Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.has(m))
      .map((m) => `${m} ${path}`),
  );

describe('docs/openapi.yaml', () => {
  test('is what `npm run openapi` makes from the routes and their schemas now', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(await apiDescription());
  });

  test("docs/openapi.d.ts, the web apps' types, is what openapi-typescript makes of it now", () => {
    const cli = path.join(path.dirname(require.resolve('openapi-typescript/package.json')), 'bin/cli.js');
    const generated = execFileSync(process.execPath, [cli, OPENAPI_FILE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(readFileSync(OPENAPI_FILE.replace(/\.yaml$/, '.d.ts'), 'utf8')).toBe(generated);
  });

  test('is OpenAPI 3.1', () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
  });

  test('describes every route the app serves, and no route it does not', () => {
    const served = [...t.app.routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`), ...OPS_ROUTES].sort();
    expect(documented().sort()).toEqual(served);
  });

  test('marks exactly the public routes as needing no credentials', () => {
    for (const r of t.app.routes) {
      const operation = spec.paths[toOpenApiPath(r.path)][r.method];
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      expect({ route: `${r.method} ${r.path}`, isPublic }).toEqual({ route: `${r.method} ${r.path}`, isPublic: r.access === 'public' });
    }
  });

  test('gives every operation a summary and its success status', () => {
    for (const r of t.app.routes) {
      const operation = spec.paths[toOpenApiPath(r.path)][r.method];
      expect(operation.summary).toBeTruthy();
      expect({ route: `${r.method} ${r.path}`, statuses: Object.keys(operation.responses ?? {}) }).toEqual({
        route: `${r.method} ${r.path}`,
        statuses: expect.arrayContaining([String(r.status)]),
      });
    }
  });

  test('money is one format everywhere: every amount a request carries is the Money schema in the description and the same pattern in validation', () => {
    const MONEY_REF = '#/components/schemas/Money';
    // A field named like an amount must be money on both sides, so a new field cannot slip past with its own format.
    const namedLikeMoney = (name: string) => /(price|amount|cost)$/i.test(name);
    /** The schema a $ref names, in the description's components or in zod's own $defs (Money stays a reference in the description: that is what is checked). */
    type Definitions = Record<string, JsonSchema>;
    const resolve = (schema: JsonSchema, defs: Definitions): JsonSchema =>
      schema.$ref && schema.$ref !== MONEY_REF ? resolve(defs[schema.$ref.split('/').pop()!], defs) : schema;
    /** Every property path of a schema with whether it is money there. */
    const fields = (schema: JsonSchema, defs: Definitions, isMoney: (s: JsonSchema) => boolean, at = ''): Map<string, boolean> => {
      const found = new Map<string, boolean>();
      const s = resolve(schema, defs);
      for (const [name, property] of Object.entries(s.properties ?? {})) {
        found.set(`${at}${name}`, isMoney(resolve(property, defs)));
        for (const [path, money] of fields(property, defs, isMoney, `${at}${name}.`)) found.set(path, money);
      }
      if (s.items) for (const [path, money] of fields(s.items, defs, isMoney, `${at}[].`)) found.set(path, money);
      return found;
    };
    expect(spec.components.schemas.Money.pattern).toBe(MONEY_PATTERN.source);
    let checked = 0;
    for (const r of t.app.routes.filter((route) => route.schemas.body)) {
      const described = spec.paths[toOpenApiPath(r.path)][r.method].requestBody?.content['application/json']?.schema;
      const documentedFields = described ? fields(described, spec.components.schemas, (s) => s.$ref === MONEY_REF) : new Map<string, boolean>();
      // zod names the schemas with an id (`.meta({ id })`) #/$defs/<id>: followed all the way, Money included.
      const validation = z.toJSONSchema(r.schemas.body!, { io: 'input', unrepresentable: 'any' }) as JsonSchema & { $defs?: Definitions };
      const validatedFields = fields(validation, validation.$defs ?? {}, (s) => s.pattern === MONEY_PATTERN.source);
      for (const path of new Set([...documentedFields.keys(), ...validatedFields.keys()])) {
        const name = path.split('.').pop()!;
        if (!documentedFields.get(path) && !validatedFields.get(path) && !namedLikeMoney(name)) continue;
        checked++;
        expect({ route: `${r.method} ${r.path}`, field: path, documented: documentedFields.get(path), validated: validatedFields.get(path) }).toEqual({
          route: `${r.method} ${r.path}`,
          field: path,
          documented: true,
          validated: true,
        });
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});

describe('response validation (VALIDATE_RESPONSES, on in every test app)', () => {
  /** One route answering whatever the test gives it, checked against `{ id: uuid, amount: Money }`, with validation on or off. */
  const serving = (answer: object, validateResponses: boolean) => {
    const response = z.object({ id: z.uuid(), amount: z.string().regex(MONEY_PATTERN) });
    const echo = publicRoute({
      method: 'get',
      path: '/test/answer',
      summary: 'test answer',
      response,
      // The compiler holds a handler to its schema; these answers are wrong on purpose, as a bug would make them at run time.
      handle: async () => answer as z.input<typeof response>,
    });
    return serveRoutes(t, [echo], { validateResponses }).get('/test/answer');
  };
  const id = '0b7c6a2e-9a4c-4c1e-8f3a-5d2b1c0e9f11';

  test('an answer as described is sent as it is', async () => {
    expect((await serving({ id, amount: '10.00' }, true).expect(200)).body).toEqual({ id, amount: '10.00' });
  });

  test('an answer with a field the schema does not describe, or a field not as described, is a 500 naming it', async () => {
    const extra = await serving({ id, amount: '10.00', secret: 'x' }, true).expect(500);
    expect(extra.body).toMatchObject({ code: 'response_not_as_described', detail: expect.stringContaining('secret') });
    const wrong = await serving({ id, amount: 10 }, true).expect(500);
    expect(wrong.body).toMatchObject({ code: 'response_not_as_described', detail: expect.stringContaining('amount') });
  });

  test('is off unless asked for: production answers are not parsed twice', async () => {
    await serving({ id, amount: 10 }, false).expect(200);
  });
});
