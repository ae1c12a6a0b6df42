import { randomBytes } from 'node:crypto';
import { type Server, type Socket, createServer, connect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { aFactory, anOperator } from '../support/builders';
import { waitFor } from '../support/wait';

/**
 * Several API replicas behave as one (docs/operations.md § Replicas): two app instances, each with its own
 * rate limits and session cache and listening on its own port, on the same database and the same Redis
 * (TEST_REDIS_URL, default the local one). Each group of tests counts under a key prefix of its own, so
 * parallel test files and the two database runs never share counters.
 */
const REDIS = new URL(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379');

interface Replica {
  t: TestApp;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** The app served on a port of its own; `shared`: the replica whose database it uses (and leaves to that one to drop). */
async function aReplica(env: Record<string, string>, shared?: Replica): Promise<Replica> {
  const t = await startTestApp({ env, ...(shared ? { database: { config: shared.t.dbConfig, drop: async () => {} } } : {}) });
  const server = createHttpServer(t.app.http);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    t,
    http: supertest(`http://127.0.0.1:${port}`),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

/** The settings of replicas that share the local Redis under a fresh key prefix, with `env` added. */
const withRedis = (env: Record<string, string> = {}) => ({ REDIS_URL: REDIS.toString(), REDIS_KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`, ...env });

/** Two replicas on one database and one Redis; `env` adds settings to both. */
async function twoReplicas(env: Record<string, string> = {}): Promise<{ a: Replica; b: Replica }> {
  const shared = withRedis(env);
  const a = await aReplica(shared);
  return { a, b: await aReplica(shared, a) };
}

const closeAll = async (...replicas: (Replica | undefined)[]) => {
  for (const r of replicas.reverse()) await r?.close();
};

const unknownShop = (r: Replica) => r.http.get('/v1/shops/K7M2QX');
const signUp = async (r: Replica) => {
  const email = `replica-${randomBytes(4).toString('hex')}@example.com`;
  const res = await r.http.post('/v1/auth/register').send({ email, password: 'correct horse battery' }).expect(201);
  return { email, auth: { Authorization: `Bearer ${res.body.token}` } };
};
const me = (r: Replica, auth: { Authorization: string }) => r.http.get('/v1/me').set(auth);

describe('rate limits are counted once for every replica', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    ({ a, b } = await twoReplicas({ SHOP_LOOKUPS_PER_MINUTE: '4', LOGIN_RATE_LIMIT_PER_15_MIN: '2' }));
  });
  afterAll(() => closeAll(a, b));

  test('a limit of 4 a minute: 4 requests split across the replicas pass, the 5th is refused on either', async () => {
    const statuses = [];
    for (const r of [a, b, a, b]) statuses.push((await unknownShop(r)).status);
    expect(statuses).toEqual([404, 404, 404, 404]);
    for (const r of [a, b]) {
      const refused = await unknownShop(r).expect(429);
      expect(refused.body).toMatchObject({ status: 429, code: 'too_many_shop_lookups' });
    }
  });

  test('failed sign-ins count together: after 2 wrong passwords (one on each replica) even the right one is refused on both', async () => {
    const { email } = await signUp(a);
    await a.http.post('/v1/auth/login').send({ email, password: 'wrong password 1' }).expect(401);
    await b.http.post('/v1/auth/login').send({ email, password: 'wrong password 2' }).expect(401);
    for (const r of [a, b]) {
      const refused = await r.http.post('/v1/auth/login').send({ email, password: 'correct horse battery' }).expect(429);
      expect(refused.body.code).toBe('too_many_login_attempts');
    }
  });

  test('wrong phone codes count together: 20 (ten on each replica) and the next is refused on either', async () => {
    // LOGIN_RATE_LIMIT_PER_15_MIN × 10 wrong codes per client address.
    for (let i = 0; i < 20; i++) {
      const res = await (i % 2 ? b : a).http.post('/v1/auth/phone/verify').send({ phone: `1380013${String(8000 + i)}`, code: '000000' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).not.toBe(429);
    }
    for (const r of [a, b]) {
      const refused = await r.http.post('/v1/auth/phone/verify').send({ phone: '13800139999', code: '000000' }).expect(429);
      expect(refused.body.code).toBe('too_many_login_attempts');
    }
  });
});

describe('an ended session is refused at once on every replica', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    ({ a, b } = await twoReplicas());
  });
  afterAll(() => closeAll(a, b));

  test('signed out on A: the token is refused on B, which had just let it in', async () => {
    const { auth } = await signUp(a);
    await me(b, auth).expect(200);
    await me(b, auth).expect(200);
    await a.http.post('/v1/auth/logout').set(auth).expect(204);
    await me(b, auth).expect(401);
    await me(a, auth).expect(401);
  });

  test("a password changed on A ends the account's other sessions on B; the session that changed it goes on", async () => {
    const { email, auth: changer } = await signUp(a);
    const other = {
      Authorization: `Bearer ${(await b.http.post('/v1/auth/login').send({ email, password: 'correct horse battery' }).expect(200)).body.token}`,
    };
    await me(b, other).expect(200);
    await me(b, changer).expect(200);
    await a.http.post('/v1/auth/password').set(changer).send({ currentPassword: 'correct horse battery', newPassword: 'a new password 1' }).expect(204);
    await me(b, other).expect(401);
    await me(b, changer).expect(200);
  });

  test('a factory user disabled by an operator on A is refused on B', async () => {
    const operator = await anOperator(a.t);
    const factory = await aFactory(a.t, operator);
    await b.http.get(`/v1/factories/${factory.id}`).set(factory.user.auth).expect(200);
    await a.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/disable`).set(operator.auth).send({ reason: '已离职' }).expect(200);
    await b.http.get(`/v1/factories/${factory.id}`).set(factory.user.auth).expect(401);
  });
});

describe('without Redis, as before', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    a = await aReplica({ SHOP_LOOKUPS_PER_MINUTE: '2' });
    b = await aReplica({ SHOP_LOOKUPS_PER_MINUTE: '2' }, a);
  });
  afterAll(() => closeAll(a, b));

  test('each replica counts alone; a session ended on one is refused on the other (each reads the database)', async () => {
    const statuses = [];
    for (const r of [a, a, b, b, a, b]) statuses.push((await unknownShop(r)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
    const { auth } = await signUp(a);
    await me(b, auth).expect(200);
    await a.http.post('/v1/auth/logout').set(auth).expect(204);
    await me(b, auth).expect(401);
  });
});

/**
 * Stands between one replica and Redis so that a test can take Redis away from that replica alone (the
 * others keep theirs): while down, open connections are cut and new ones are closed at once.
 */
class RedisLink {
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  private up = false;
  url = '';

  async open(): Promise<this> {
    this.server = createServer((client) => {
      if (!this.up) return void client.destroy();
      const redis = connect(Number(REDIS.port || 6379), REDIS.hostname);
      for (const [from, to] of [
        [client, redis],
        [redis, client],
      ]) {
        this.sockets.add(from);
        from.on('close', () => this.sockets.delete(from));
        from.on('error', () => to.destroy());
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `redis://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  setUp(up: boolean): void {
    this.up = up;
    if (!up) for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.setUp(false);
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('when Redis goes away from a replica', () => {
  let a: Replica;
  let b: Replica;
  const link = new RedisLink();
  beforeAll(async () => {
    await link.open();
    const env = withRedis({ SHOP_LOOKUPS_PER_MINUTE: '3' });
    a = await aReplica(env);
    // B starts while its Redis cannot be reached.
    b = await aReplica({ ...env, REDIS_URL: link.url }, a);
  });
  afterAll(async () => {
    await closeAll(a, b);
    await link.close();
  });

  test('its limits let requests through (no 5xx) while it cannot count, and count again with the others once Redis is back', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await unknownShop(b)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    link.setUp(true);
    // Back: B counts in the shared counters again, so after at most 3 more lookups it refuses, and so does A.
    await waitFor(async () => (await unknownShop(b)).status === 429, 10_000, 'B counting in Redis again');
    await unknownShop(a).expect(429);
  });

  test('a session ended while B does not hear the others is still refused on B (it reads the database meanwhile)', async () => {
    link.setUp(true);
    const { auth } = await signUp(a);
    await me(b, auth).expect(200);
    link.setUp(false);
    await a.http.post('/v1/auth/logout').set(auth).expect(204);
    await me(b, auth).expect(401);
    // Signing in and out still works on B: signing in waits for nothing, signing out for at most ANNOUNCE_WAIT_MS.
    const { auth: another } = await signUp(b);
    await me(b, another).expect(200);
    await b.http.post('/v1/auth/logout').set(another).expect(204);
    await me(a, another).expect(401);
  });
});

describe('when the replica that ends a session cannot reach Redis for a moment', () => {
  let a: Replica;
  let b: Replica;
  const link = new RedisLink();
  beforeAll(async () => {
    await link.open();
    link.setUp(true);
    const env = withRedis();
    a = await aReplica({ ...env, REDIS_URL: link.url });
    b = await aReplica(env, a);
  });
  afterAll(async () => {
    await closeAll(a, b);
    await link.close();
  });

  test('its sign-out answers once the others have been told: the token is refused on B, which had just let it in', async () => {
    const { auth } = await signUp(a);
    await waitFor(async () => (await me(b, auth)).status === 200, 10_000, 'B letting the session in');
    link.setUp(false);
    const signingOut = a.http.post('/v1/auth/logout').set(auth);
    setTimeout(() => link.setUp(true), 1_000);
    expect((await signingOut).status).toBe(204);
    await me(b, auth).expect(401);
  });
});
