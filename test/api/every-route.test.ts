import { entities } from '../../src/app';
import { AuditEntryRow } from '../../src/audit';
import type { RouteDef } from '../../src/platform/http';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';

/**
 * Checks that hold for every route the app serves, read from the route table itself, so a route
 * added later is covered without anyone remembering to add it here.
 */
let t: TestApp;
let operator: Caller;
let consumer: Caller;
let mine: { id: string; user: Caller };
let theirs: { id: string; user: Caller; keyId: string };
let myKey: { Authorization: string };

beforeAll(async () => {
  t = await startTestApp();
  operator = await anOperator(t);
  consumer = await aConsumer(t);
  mine = await aFactory(t, operator);
  const other = await aFactory(t, operator);
  const theirKey = await t.http.post(`/v1/factories/${other.id}/api-keys`).set(operator.auth).send({ name: 'theirs' }).expect(201);
  theirs = { ...other, keyId: theirKey.body.id };
  const key = await t.http.post(`/v1/factories/${mine.id}/api-keys`).set(operator.auth).send({ name: 'mine' }).expect(201);
  myKey = { Authorization: `Bearer ${key.body.apiKey}` };
});
afterAll(() => t.close());

const send = (r: RouteDef, path: string, auth?: { Authorization: string }) => {
  const req = t.http[r.method](path);
  if (auth) req.set(auth);
  if (r.idempotent) req.set('Idempotency-Key', `k-${Math.random()}`);
  return req;
};
/** Fills every path parameter with the other factory's ids. */
const theirPath = (r: RouteDef) => r.path.replace(':id', theirs.id).replace(':keyId', theirs.keyId);
// The audit log records operators' refused requests too (test/api/audit-log.test.ts): that is its purpose, not a change.
const snapshot = () => t.db.read(async (tx) => Promise.all(entities.filter((e) => e !== AuditEntryRow).map((e) => tx.count(e))));
const protectedRoutes = () => t.app.routes.filter((r) => r.access !== 'public');

describe('every route', () => {
  test('a route that needs credentials answers 401 without them', async () => {
    for (const r of protectedRoutes()) {
      const res = await send(r, theirPath(r)).send();
      expect({ route: `${r.method} ${r.path}`, status: res.status, code: res.body.code }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 401,
        code: 'unauthenticated',
      });
    }
  });

  test('a role a route is not for gets 403, and nothing changes', async () => {
    const before = await snapshot();
    const callers = [
      ['consumer', consumer.auth],
      ['factory', mine.user.auth],
      ['factory', myKey],
      ['operator', operator.auth],
    ] as const;
    for (const r of protectedRoutes()) {
      for (const [role, auth] of callers) {
        if ((r.access as readonly string[]).includes(role)) continue;
        const res = await send(r, theirPath(r), auth).send({});
        expect({ route: `${r.method} ${r.path}`, role, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, role, status: 403 });
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a factory's user or key never reaches another factory's records through an id", async () => {
    const before = await snapshot();
    for (const r of t.app.routes.filter((route) => route.path.includes(':id') && route.access !== 'public' && route.access.includes('factory'))) {
      for (const auth of [mine.user.auth, myKey]) {
        const res = await send(r, theirPath(r), auth).send(r.schemas.body ? {} : undefined);
        // A route with a body checks it first (an empty one is a 400); test/api/forecasts.test.ts sends such routes valid bodies.
        const expected = r.schemas.body ? [400, 404] : [404];
        expect({ route: `${r.method} ${r.path}`, status: res.status, allowed: expected.includes(res.status) }).toEqual({
          route: `${r.method} ${r.path}`,
          status: res.status,
          allowed: true,
        });
        expect(JSON.stringify(res.body)).not.toContain(theirs.user.email);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test('malformed ids, bodies and queries get a 4xx problem and change nothing', async () => {
    const before = await snapshot();
    const junkBodies: unknown[] = [{ unexpected: true }, [], 'text', 12, { name: { $gt: '' } }];
    for (const r of t.app.routes) {
      const auth =
        r.access === 'public' ? undefined : r.access.includes('operator') ? operator.auth : r.access.includes('factory') ? mine.user.auth : consumer.auth;
      const ownPath = r.path.replace(':id', mine.id).replace(':keyId', mine.id);
      const attempts = [
        ...(r.path.includes(':') ? [send(r, r.path.replace(/:\w+/g, 'not-an-id%27--'), auth).send()] : []),
        ...(r.schemas.body ? junkBodies.map((body) => send(r, ownPath, auth).set('Content-Type', 'application/json').send(JSON.stringify(body))) : []),
        send(r, `${ownPath}?limit=-5&${'x'.repeat(20)}=1`, auth).send(),
      ];
      for (const res of await Promise.all(attempts)) {
        expect({ route: `${r.method} ${r.path}`, status: res.status >= 400 && res.status < 500, type: res.headers['content-type'] }).toEqual({
          route: `${r.method} ${r.path}`,
          status: true,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});
