import { loadOpenApi } from '../../src/platform/http/ops';
import { startTestApp, type TestApp } from '../support/app';

/** docs/openapi.yaml and the routes the app really serves must describe the same API. */
type Operation = { summary?: string; security?: unknown[]; responses?: Record<string, unknown> };
const spec = loadOpenApi() as { openapi: string; paths: Record<string, Record<string, Operation>> };
const OPS_ROUTES = ['get /healthz', 'get /readyz', 'get /metrics'];
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const toOpenApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');
const documented = () =>
  Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.has(m)).map((m) => `${m} ${path}`));

describe('docs/openapi.yaml', () => {
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
      expect({ route: `${r.method} ${r.path}`, statuses: Object.keys(operation.responses ?? {}) }).toEqual({ route: `${r.method} ${r.path}`, statuses: expect.arrayContaining([String(r.status)]) });
    }
  });
});
