import { FactoryApiKeyRow, FactoryRow } from '../../src/factories';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';

let t: TestApp;
let operator: Caller;
beforeAll(async () => {
  t = await startTestApp();
  operator = await anOperator(t);
});
afterAll(() => t.close());

const count = (entity: typeof FactoryRow | typeof FactoryApiKeyRow) => t.db.read((tx) => tx.count(entity));

describe('onboarding factories', () => {
  test('an operator onboards a factory and lists it', async () => {
    const created = await t.http
      .post('/v1/factories')
      .set(operator.auth)
      .send({ name: '宁波针织厂 Ningbo Knitwear', kind: 'manufacturer', contactEmail: 'Plan@Ningbo.example.com' })
      .expect(201);
    expect(created.body).toMatchObject({ name: '宁波针织厂 Ningbo Knitwear', kind: 'manufacturer', contactEmail: 'plan@ningbo.example.com' });
    const list = await t.http.get('/v1/factories?limit=100').set(operator.auth).expect(200);
    expect(list.body).toMatchObject({ limit: 100, offset: 0 });
    expect(list.body.items.map((f: { id: string }) => f.id)).toContain(created.body.id);
    expect(list.body.total).toBe(await count(FactoryRow));
  });

  test('lists page through every factory exactly once', async () => {
    for (let i = 0; i < 5; i++)
      await t.http
        .post('/v1/factories')
        .set(operator.auth)
        .send({ name: `Paged ${i}`, contactEmail: `p${i}@example.com` })
        .expect(201);
    const total = await count(FactoryRow);
    const seen: string[] = [];
    for (let offset = 0; offset < total; offset += 2) {
      const res = await t.http.get(`/v1/factories?limit=2&offset=${offset}`).set(operator.auth).expect(200);
      seen.push(...res.body.items.map((f: { id: string }) => f.id));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  test.each([['limit=0'], ['limit=101'], ['limit=ten'], ['offset=-1'], ['sort=name']])('a bad page query (%s) is a 400', async (query) => {
    const res = await t.http.get(`/v1/factories?${query}`).set(operator.auth).expect(400);
    expect(res.body.code).toBe('invalid_query');
  });

  test.each([
    ['no name', { contactEmail: 'a@example.com' }],
    ['an empty name', { name: '   ', contactEmail: 'a@example.com' }],
    ['an unknown kind', { name: 'X', kind: 'warehouse', contactEmail: 'a@example.com' }],
    ['a bad email', { name: 'X', contactEmail: 'nope' }],
    ['an id chosen by the caller', { id: '00000000-0000-4000-8000-000000000000', name: 'X', contactEmail: 'a@example.com' }],
    ['an array', [{ name: 'X', contactEmail: 'a@example.com' }]],
  ])('a factory with %s is a 400 and creates nothing', async (_label, body) => {
    const before = await count(FactoryRow);
    const res = await t.http
      .post('/v1/factories')
      .set(operator.auth)
      .send(body as object)
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await count(FactoryRow)).toBe(before);
  });

  test('factory users sign in as that factory', async () => {
    const factory = await aFactory(t, operator);
    const me = await t.http.get('/v1/me').set(factory.user.auth).expect(200);
    expect(me.body).toMatchObject({ role: 'factory', factoryId: factory.id });
    const users = await t.http.get(`/v1/factories/${factory.id}/users`).set(factory.user.auth).expect(200);
    expect(users.body.items.map((u: { email: string }) => u.email)).toEqual([factory.user.email]);
  });

  test('a user for a factory that does not exist is a 404 and creates nothing', async () => {
    const res = await t.http
      .post('/v1/factories/3f1e0c4a-0000-4000-8000-000000000000/users')
      .set(operator.auth)
      .send({ email: 'ghost@example.com', password: 'ghost password' })
      .expect(404);
    expect(res.body.code).toBe('not_found');
    await t.http.post('/v1/auth/login').send({ email: 'ghost@example.com', password: 'ghost password' }).expect(401);
  });
});

describe('API keys', () => {
  test('an API key is shown once, works as a bearer credential, and stops working when revoked', async () => {
    const factory = await aFactory(t, operator);
    const created = await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'ERP sync' }).expect(201);
    expect(created.body.apiKey).toMatch(/^c2mk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const keyAuth = { Authorization: `Bearer ${created.body.apiKey}` };
    // The secret is base64url and may itself contain "_": take everything after the id.
    const secret = (created.body.apiKey as string).slice('c2mk_'.length + 33);

    const me = await t.http.get('/v1/me').set(keyAuth).expect(200);
    expect(me.body).toEqual({ role: 'factory', factoryId: factory.id, apiKeyId: created.body.id });
    await t.http.get(`/v1/factories/${factory.id}`).set(keyAuth).expect(200);

    const listed = await t.http.get(`/v1/factories/${factory.id}/api-keys`).set(factory.user.auth).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, name: 'ERP sync', revokedAt: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const stored = await t.db.read((tx) => tx.findOneByOrFail(FactoryApiKeyRow, { id: created.body.id }));
    expect(stored.secretHash).not.toContain(secret);

    await t.http.delete(`/v1/factories/${factory.id}/api-keys/${created.body.id}`).set(operator.auth).expect(204);
    await t.http.delete(`/v1/factories/${factory.id}/api-keys/${created.body.id}`).set(operator.auth).expect(204);
    expect((await t.http.get('/v1/me').set(keyAuth).expect(401)).body.code).toBe('unauthenticated');
  });

  test('a key with a wrong secret, or a made-up key, is a 401', async () => {
    const factory = await aFactory(t, operator);
    const { body } = await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'k' }).expect(201);
    const [prefix, id] = body.apiKey.split('_');
    await t.http
      .get('/v1/me')
      .set('Authorization', `Bearer ${prefix}_${id}_${'A'.repeat(43)}`)
      .expect(401);
    await t.http
      .get('/v1/me')
      .set('Authorization', `Bearer c2mk_${'0'.repeat(32)}_${'A'.repeat(43)}`)
      .expect(401);
    await t.http.get('/v1/me').set('Authorization', 'Bearer c2mk_short').expect(401);
  });

  test("a key for another factory's id is a 404 and issues nothing", async () => {
    const factory = await aFactory(t, operator);
    const other = await aFactory(t, operator);
    const { body } = await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'k' }).expect(201);
    await t.http.delete(`/v1/factories/${other.id}/api-keys/${body.id}`).set(operator.auth).expect(404);
    await t.http.get('/v1/me').set('Authorization', `Bearer ${body.apiKey}`).expect(200);
  });
});

describe('who may see which factory', () => {
  let mine: { id: string; user: Caller };
  let theirs: { id: string; user: Caller };
  let myKey: { Authorization: string };
  let consumer: Caller;

  beforeAll(async () => {
    mine = await aFactory(t, operator);
    theirs = await aFactory(t, operator);
    const key = await t.http.post(`/v1/factories/${mine.id}/api-keys`).set(operator.auth).send({ name: 'mine' }).expect(201);
    myKey = { Authorization: `Bearer ${key.body.apiKey}` };
    consumer = await aConsumer(t);
  });

  const readRoutes = (id: string) => [`/v1/factories/${id}`, `/v1/factories/${id}/users`, `/v1/factories/${id}/api-keys`];

  test('a factory user and a factory key read their own factory', async () => {
    for (const path of readRoutes(mine.id)) {
      await t.http.get(path).set(mine.user.auth).expect(200);
      await t.http.get(path).set(myKey).expect(200);
    }
  });

  test("another factory's records are 404 for a factory user and a factory key, never a leak", async () => {
    for (const path of readRoutes(theirs.id)) {
      for (const auth of [mine.user.auth, myKey]) {
        const res = await t.http.get(path).set(auth).expect(404);
        expect(res.body.code).toBe('not_found');
        expect(JSON.stringify(res.body)).not.toContain(theirs.user.email);
      }
    }
  });

  test('factories and consumers cannot use operator routes', async () => {
    const writes: [string, object][] = [
      ['/v1/factories', { name: 'X', contactEmail: 'x@example.com' }],
      [`/v1/factories/${mine.id}/users`, { email: 'intruder@example.com', password: 'intruder password' }],
      [`/v1/factories/${mine.id}/api-keys`, { name: 'self-issued' }],
    ];
    for (const auth of [mine.user.auth, myKey, consumer.auth]) {
      for (const [path, body] of writes) await t.http.post(path).set(auth).send(body).expect(403);
      await t.http.get('/v1/factories').set(auth).expect(403);
      await t.http.delete(`/v1/factories/${mine.id}/api-keys/${mine.id}`).set(auth).expect(403);
    }
    for (const path of readRoutes(mine.id)) await t.http.get(path).set(consumer.auth).expect(403);
  });

  test('a malformed id is a 400, not a lookup', async () => {
    const res = await t.http.get('/v1/factories/not-a-uuid').set(operator.auth).expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_path', errors: [{ path: 'params.id' }] });
    await t.http.delete(`/v1/factories/${mine.id}/api-keys/nope`).set(operator.auth).expect(400);
  });
});
