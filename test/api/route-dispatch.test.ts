import supertest from 'supertest';
import { z } from 'zod';
import { publicRoute } from '../../src/platform/http';
import { serveRoutes, startTestApp, type TestApp } from '../support/app';

/**
 * mountRoutes finds a request's routes by its first two path segments (one lookup instead of trying every route):
 * each request still reaches the route express would have chosen, in any letter case, with its parameters, and a
 * path no route has is the API's 404.
 */
let t: TestApp;
let http: ReturnType<typeof supertest>;

const answering = (path: string) =>
  publicRoute({
    method: 'get',
    path,
    summary: path,
    response: z.object({ route: z.string(), params: z.record(z.string(), z.string()) }),
    handle: async ({ req }) => ({ route: path, params: { ...(req.params as Record<string, string>) } }),
  });

beforeAll(async () => {
  t = await startTestApp();
  http = serveRoutes(t, [
    answering('/v1/things'),
    answering('/v1/things/:id'),
    answering('/v1/things/:id/parts'),
    answering('/v1/other/:id'),
    answering('/c/:id/poster.png'),
    answering('/c/:id/qr.svg'),
  ]);
});
afterAll(() => t.close());

describe('finding a route', () => {
  test.each([
    ['/v1/things', '/v1/things', {}],
    ['/v1/things/42', '/v1/things/:id', { id: '42' }],
    ['/v1/things/42/parts', '/v1/things/:id/parts', { id: '42' }],
    ['/v1/things/42/parts/', '/v1/things/:id/parts', { id: '42' }],
    ['/V1/Things/42', '/v1/things/:id', { id: '42' }],
    ['/v1/other/7', '/v1/other/:id', { id: '7' }],
    ['/c/abc/poster.png', '/c/:id/poster.png', { id: 'abc' }],
    ['/c/abc/qr.svg', '/c/:id/qr.svg', { id: 'abc' }],
  ])('GET %s reaches %s', async (path, route, params) => {
    const res = await http.get(path).expect(200);
    expect(res.body).toEqual({ route, params });
  });

  test.each(['/v1/nothing', '/v1/things/42/nothing', '/v1', '/c/abc/other.png'])('GET %s is a 404 problem', async (path) => {
    const res = await http.get(path).expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  test('a route whose path does not start with a literal segment is refused when the routes are mounted', () => {
    expect(() => serveRoutes(t, [answering('/:anything/x')])).toThrow(/literal segment/);
  });
});
