import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { route, type RouteDef } from '../../src/platform/http';
import { serveRoutes, type TestApp } from '../support/app';
import { aConsumer, aFactory, aFactoryWorld, anOperator, type Caller } from '../support/builders';
import type { TestClock } from '../support/clock';
import { aShopApplication } from '../support/shops';

/**
 * The audit log (docs/operator-console.md § 审计日志): the platform records every state-changing request by an
 * operator before it runs and completes it with the outcome: who, when, what (route and subject), why (the body's
 * reason), the body without its secrets; refused requests too. Nothing an operator does goes unrecorded: when the
 * log cannot be written, the action is refused. Operators read it filtered, newest first, or as CSV.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let operatorName: string;

interface Entry {
  id: string;
  actor: { userId: string; name: string; email: string | null };
  at: string;
  method: string;
  route: string;
  subjectId: string | null;
  params: Record<string, string> | null;
  reason: string | null;
  summary: string | null;
  status: string;
  httpStatus: number | null;
  completedAt: string | null;
}
interface Log {
  items: Entry[];
  total: number;
}

beforeAll(async () => {
  ({ t, clock, operator } = await aFactoryWorld());
  operatorName = (await t.app.services.accounts.get(operator.userId)).displayName;
});
afterAll(() => t.close());

const auditLog = async (query: Record<string, string> = {}, caller: Caller = operator): Promise<Log> =>
  (await t.http.get('/v1/audit-log').query(query).set(caller.auth).expect(200)).body as Log;
const entriesOf = (method: string, path: string) => auditLog({ action: `${method.toUpperCase()} ${path}`, limit: '100' });

const SECRETS = { password: 'hunter2-never-logged', token: 'tok-never-logged', apiKey: 'c2mk_never_logged', webhookSecret: 'whsec-never-logged' };

describe('every state-changing operator route leaves exactly one entry', () => {
  test('called with placeholders (refused as a rule): who, what, the refusal, the reason, and no secret', async () => {
    const operatorRoutes = t.app.routes.filter((r: RouteDef) => r.method !== 'get' && r.access !== 'public' && r.access.includes('operator'));
    // Sanity: the table has the operator routes the console works with.
    expect(operatorRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/factories', 'POST /v1/campaigns/:id/publish', 'POST /v1/shop-applications/:id/refuse', 'PATCH /v1/fruits/:id']),
    );
    for (const r of operatorRoutes.filter((route) => route.path !== '/v1/auth/logout')) {
      const before = (await entriesOf(r.method, r.path)).total;
      const subject = randomUUID();
      const path = r.path.replace(/:\w+/g, subject);
      const reason = `sweep ${r.method} ${r.path}`;
      const asked = clock.now().getTime();
      const req = t.http[r.method](path).set(operator.auth);
      if (r.idempotent) req.set('Idempotency-Key', randomUUID());
      const res = await req.send({ reason, ...SECRETS });
      const answered = clock.now().getTime();
      const log = await entriesOf(r.method, r.path);
      const route = `${r.method.toUpperCase()} ${r.path}`;
      expect({ route, added: log.total - before }).toEqual({ route, added: 1 });
      const entry = log.items[0]!;
      expect({ asked: route, ...entry }).toEqual({
        asked: route,
        id: expect.any(String),
        actor: { userId: operator.userId, name: operatorName, email: operator.email },
        at: expect.any(String),
        method: r.method.toUpperCase(),
        route: r.path,
        subjectId: r.path.includes(':') ? subject : null,
        // Every path parameter by its name, not only the first.
        params: r.path.includes(':') ? Object.fromEntries([...r.path.matchAll(/:(\w+)/g)].map(([, name]) => [name, subject])) : null,
        reason,
        summary: expect.any(String),
        status: res.status >= 500 ? 'failed' : res.status >= 400 ? 'refused' : 'succeeded',
        httpStatus: res.status,
        completedAt: expect.any(String),
      });
      // Written before the action ran, completed after it: both within the request.
      const [at, completedAt] = [Date.parse(entry.at), Date.parse(entry.completedAt!)];
      expect(asked <= at && at <= completedAt && completedAt <= answered).toBe(true);
      expect(JSON.parse(entry.summary!)).toEqual({ reason, password: '[redacted]', token: '[redacted]', apiKey: '[redacted]', webhookSecret: '[redacted]' });
    }
    // Not one secret anywhere in the log, nor in its CSV.
    const everything = await t.http.get('/v1/audit-log?format=csv').set(operator.auth).expect(200);
    for (const secret of Object.values(SECRETS)) expect(everything.text).not.toContain(secret);
  });

  test('an action that succeeds: its outcome, and the record it created as the subject when the route has no id', async () => {
    const created = await t.http
      .post('/v1/factories')
      .set(operator.auth)
      .send({ name: '审计服装厂', kind: 'manufacturer', contactEmail: 'audit-plant@example.com' })
      .expect(201);
    const [entry] = (await auditLog({ subjectId: created.body.id })).items;
    expect(entry).toMatchObject({
      method: 'POST',
      route: '/v1/factories',
      subjectId: created.body.id,
      reason: null,
      status: 'succeeded',
      httpStatus: 201,
      summary: JSON.stringify({ name: '审计服装厂', kind: 'manufacturer', contactEmail: 'audit-plant@example.com' }),
    });
    // A new factory user's password is not kept; the created key's secret (in the answer, never the request) neither.
    await t.http
      .post(`/v1/factories/${created.body.id}/users`)
      .set(operator.auth)
      .send({ email: 'audit-planner@example.com', password: 'planner-password-never-logged' })
      .expect(201);
    const key = await t.http.post(`/v1/factories/${created.body.id}/api-keys`).set(operator.auth).send({ name: 'ERP' }).expect(201);
    const log = await auditLog({ subjectId: created.body.id });
    expect(log.items.map((e) => `${e.method} ${e.route} ${e.status} ${e.httpStatus}`)).toEqual([
      'POST /v1/factories/:id/api-keys succeeded 201',
      'POST /v1/factories/:id/users succeeded 201',
      'POST /v1/factories succeeded 201',
    ]);
    expect(JSON.parse(log.items[1]!.summary!)).toEqual({ email: 'audit-planner@example.com', password: '[redacted]' });
    expect(JSON.stringify(log)).not.toContain('planner-password-never-logged');
    expect(JSON.stringify(log)).not.toContain(key.body.apiKey);
  });

  test("the operator's why is kept: a refused shop application with its reason", async () => {
    const applicant = await aConsumer(t);
    const application = await t.http.post('/v1/shop-applications').set(applicant.auth).send(aShopApplication()).expect(201);
    await t.http.post(`/v1/shop-applications/${application.body.id}/refuse`).set(operator.auth).send({ reason: '资料不完整，请补充营业执照' }).expect(200);
    // Deciding it again is refused (409): recorded with its status too.
    await t.http.post(`/v1/shop-applications/${application.body.id}/refuse`).set(operator.auth).send({ reason: '重复操作' }).expect(409);
    const log = await auditLog({ subjectId: application.body.id });
    expect(log.items.map((e) => [e.route, e.reason, e.status, e.httpStatus])).toEqual([
      ['/v1/shop-applications/:id/refuse', '重复操作', 'refused', 409],
      ['/v1/shop-applications/:id/refuse', '资料不完整，请补充营业执照', 'succeeded', 200],
    ]);
    // The applicant's own request is not an operator's: not in the log.
    expect((await auditLog({ action: 'POST /v1/shop-applications' })).total).toBe(0);
  });

  test('a route that is not for operators is refused (403) and recorded all the same; GETs and other roles are not recorded', async () => {
    const before = (await auditLog()).total;
    await t.http.put('/v1/marks/mine').set(operator.auth).send({ kind: 'origin', subject: '赣南', color: 'red', reason: '好吃' }).expect(403);
    const [entry] = (await auditLog({ action: 'PUT /v1/marks/mine' })).items;
    expect(entry).toMatchObject({ status: 'refused', httpStatus: 403, reason: '好吃', subjectId: null });
    await t.http.get('/v1/factories').set(operator.auth).expect(200);
    const factory = await aFactory(t, operator);
    const after = (await auditLog()).total;
    // The 403, and aFactory's two operator requests (the factory, its user); not the GETs, not the factory user's sign-in.
    expect(after - before).toBe(3);
    await t.http.post('/v1/auth/logout').set(factory.user.auth).expect(204);
    expect((await auditLog()).total).toBe(after);
  });
});

test('when the log cannot be written, the operator action is refused (503 audit_unavailable) and not carried out', async () => {
  const name = `未记录的工厂 ${randomUUID().slice(0, 8)}`;
  await t.db.statement((tx) => tx.query('ALTER TABLE audit_entries RENAME TO audit_entries_away'));
  try {
    const res = await t.http.post('/v1/factories').set(operator.auth).send({ name, kind: 'manufacturer', contactEmail: 'unrecorded@example.com' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'audit_unavailable' });
  } finally {
    await t.db.statement((tx) => tx.query('ALTER TABLE audit_entries_away RENAME TO audit_entries'));
  }
  const factories = await t.http.get('/v1/factories?limit=100').set(operator.auth).expect(200);
  expect((factories.body.items as { name: string }[]).map((f) => f.name)).not.toContain(name);
});

test('an action whose answer turns out not as described (a 500 on its way out) is recorded as failed, not as succeeded', async () => {
  // A route of the test's own, mounted as the app mounts its routes (with the app's audit log), that answers a field its schema does not describe.
  const http = serveRoutes(
    t,
    [
      route({
        method: 'post',
        path: '/v1/test-only/:id/odd-answer',
        summary: 'Answers what its schema does not describe',
        access: ['operator'],
        response: z.object({ id: z.string() }),
        handle: async () => ({ id: 'x', undescribed: true }) as { id: string },
      }),
    ],
    { validateResponses: true, audit: t.app.services.audit },
  );
  const subject = randomUUID();
  await http.post(`/v1/test-only/${subject}/odd-answer`).set(operator.auth).expect(500);
  expect((await auditLog({ subjectId: subject })).items).toEqual([
    expect.objectContaining({ route: '/v1/test-only/:id/odd-answer', status: 'failed', httpStatus: 500 }),
  ]);
});

test('every path parameter is kept by its name; one named like a secret (a :token, a :code in a path) never is', async () => {
  const http = serveRoutes(
    t,
    [
      route({
        method: 'post',
        path: '/v1/test-only/:id/tokens/:token',
        summary: 'A path with a secret in it',
        access: ['operator'],
        response: z.object({ ok: z.boolean() }),
        handle: async () => ({ ok: true }),
      }),
      route({
        method: 'post',
        path: '/v1/test-only/codes/:code',
        summary: 'A path whose only parameter is named like a secret',
        access: ['operator'],
        response: z.object({ ok: z.boolean() }),
        handle: async () => ({ ok: true }),
      }),
    ],
    { validateResponses: true, audit: t.app.services.audit },
  );
  const subject = randomUUID();
  await http.post(`/v1/test-only/${subject}/tokens/tok-in-path-never-logged`).set(operator.auth).send({}).expect(200);
  await http.post('/v1/test-only/codes/code-in-path-never-logged').set(operator.auth).send({}).expect(200);
  expect((await auditLog({ subjectId: subject })).items).toEqual([
    expect.objectContaining({
      route: '/v1/test-only/:id/tokens/:token',
      subjectId: subject,
      params: { id: subject, token: '[redacted]' },
      status: 'succeeded',
    }),
  ]);
  expect((await entriesOf('POST', '/v1/test-only/codes/:code')).items).toEqual([
    expect.objectContaining({ subjectId: '[redacted]', params: { code: '[redacted]' }, status: 'succeeded' }),
  ]);
  const everything = await t.http.get('/v1/audit-log?format=csv').set(operator.auth).expect(200);
  expect(everything.text).not.toContain('never-logged');
});

describe('reading the log', () => {
  let second: Caller;
  let start: Date;
  beforeAll(async () => {
    second = await anOperator(t);
    clock.offsetMs += 3_600_000;
    start = clock.now();
    for (const n of [1, 2, 3]) {
      clock.offsetMs += 60_000;
      await t.http
        .post('/v1/factories')
        .set(second.auth)
        .send({ name: `第${n}厂`, kind: 'orchard', contactEmail: `orchard-${n}@example.com` })
        .expect(201);
    }
  });

  test('by actor (id, email or part of the name), newest first, a page at a time', async () => {
    const byId = await auditLog({ actor: second.userId });
    expect(byId.total).toBe(3);
    expect(byId.items.map((e) => JSON.parse(e.summary!).name)).toEqual(['第3厂', '第2厂', '第1厂']);
    expect((await auditLog({ actor: second.email.toUpperCase() })).total).toBe(3);
    const name = (await t.app.services.accounts.get(second.userId)).displayName;
    if (name) expect((await auditLog({ actor: name.slice(0, 5) })).items.every((e) => e.actor.name.includes(name.slice(0, 5)))).toBe(true);
    const page2 = await auditLog({ actor: second.userId, limit: '2', offset: '2' });
    expect(page2).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(page2.items.map((e) => JSON.parse(e.summary!).name)).toEqual(['第1厂']);
    expect((await auditLog({ actor: 'nobody-at-all' })).total).toBe(0);
  });

  test('by action, subject and time', async () => {
    const window = await auditLog({ from: new Date(start.getTime() + 90_000).toISOString(), to: new Date(start.getTime() + 150_000).toISOString() });
    expect(window.items.map((e) => JSON.parse(e.summary!).name)).toEqual(['第2厂']);
    const all = await auditLog({ action: '/v1/factories', actor: second.userId });
    expect(all.total).toBe(3);
    expect((await auditLog({ action: 'DELETE /v1/factories', actor: second.userId })).total).toBe(0);
    const [newest] = all.items;
    expect((await auditLog({ subjectId: newest!.subjectId! })).items.map((e) => e.id)).toEqual([newest!.id]);
  });

  test('a filter with a control character in it (a NUL, a line break) is refused, as every free-text search is', async () => {
    for (const [path, query] of [
      ['/v1/audit-log', { actor: 'a\u0000b' }],
      ['/v1/audit-log', { subjectId: 'x\ny' }],
      ['/v1/console/search', { q: '138\u0000' }],
      ['/v1/campaigns', { q: 'x\ty' }],
    ] as const) {
      const res = await t.http.get(path).query(query).set(second.auth).expect(400);
      expect(res.body.errors[0]).toMatchObject({ reason: 'invalid_format' });
    }
  });

  test('as CSV, the filtered entries newest first; only operators read the log', async () => {
    const csv = await t.http.get('/v1/audit-log').query({ actor: second.userId, format: 'csv' }).set(second.auth).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain('audit-log.csv');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('操作人 Operator');
    expect(lines.slice(1).map((line) => /第(\d)厂/.exec(line)?.[1])).toEqual(['3', '2', '1']);
    const consumer = await aConsumer(t);
    await t.http.get('/v1/audit-log').set(consumer.auth).expect(403);
    const factory = await aFactory(t, operator);
    await t.http.get('/v1/audit-log').set(factory.user.auth).expect(403);
  });
});
