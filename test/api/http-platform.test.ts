import { UserRow } from '../../src/accounts';
import { startTestApp, type TestApp } from '../support/app';
import { anOperator } from '../support/builders';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const problemJson = /^application\/problem\+json/;

describe('HTTP platform', () => {
  test('an unknown route is a 404 problem', async () => {
    const res = await t.http.get('/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(problemJson);
    expect(res.body).toMatchObject({
      status: 404,
      code: 'route_not_found',
      title: 'Not Found',
      instance: '/v1/nothing-here',
      type: 'urn:c2m:problem:route_not_found',
    });
  });

  test('a malformed JSON body is a 400, never a 500, and creates nothing', async () => {
    const before = await t.db.read((tx) => tx.count(UserRow));
    for (const body of ['{"email": ', '{email: "x"}', 'null', '"just a string"', '[1,2']) {
      const res = await t.http.post('/v1/auth/register').set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(problemJson);
      expect(['malformed_json', 'validation_failed']).toContain(res.body.code);
    }
    expect(await t.db.read((tx) => tx.count(UserRow))).toBe(before);
  });

  test('a body over the size limit is a 413', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'big@example.com', password: 'x'.repeat(200_000) })
      .expect(413);
    expect(res.body.code).toBe('body_too_large');
  });

  test('a body that is not JSON is a 415', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('email=a@example.com&password=long+enough+password')
      .expect(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  test('a body sent to a route that takes none is a 400', async () => {
    const operator = await anOperator(t);
    const res = await t.http.get('/v1/me').set(operator.auth).set('Content-Type', 'application/json').send({ admin: true }).expect(400);
    expect(res.body.code).toBe('unexpected_body');
  });

  test('every response carries a request id, and a sane one from the caller is kept', async () => {
    const own = await t.http.get('/healthz').set('X-Request-Id', 'trace-abc-123').expect(200);
    expect(own.headers['x-request-id']).toBe('trace-abc-123');
    const made = await t.http.get('/healthz').set('X-Request-Id', 'bad id with spaces\t').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await t.http.get('/v1/nope').set('X-Request-Id', 'trace-xyz');
    expect(problem.body.requestId).toBe('trace-xyz');
  });

  test('security headers are set and the framework is not advertised', async () => {
    const res = await t.http.get('/healthz').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('CORS is off by default', async () => {
    const res = await t.http.options('/v1/auth/login').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('CORS allows exactly the configured origins', async () => {
    const withCors = await startTestApp({ env: { CORS_ORIGINS: 'https://portal.example' } });
    try {
      const ok = await withCors.http.options('/v1/auth/login').set('Origin', 'https://portal.example').set('Access-Control-Request-Method', 'POST').expect(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://portal.example');
      expect(ok.headers['access-control-allow-headers']).toContain('Idempotency-Key');
      const other = await withCors.http.get('/healthz').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
  });

  test('many concurrent writes on the same database all succeed (no SQLITE_BUSY, no nested transactions)', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.http.post('/v1/auth/register').send({ email: `burst-${i}@example.com`, password: 'burst password 1' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    const reads = await Promise.all(results.map((r) => t.http.get('/v1/me').set('Authorization', `Bearer ${r.body.token}`)));
    expect(reads.map((r) => r.status)).toEqual(Array(40).fill(200));
    const burst = await t.db.read((tx) => tx.createQueryBuilder(UserRow, 'u').where('u.email LIKE :p', { p: 'burst-%' }).getCount());
    expect(burst).toBe(40);
  });
});
