import jwt from 'jsonwebtoken';
import { randomBytes, scryptSync } from 'node:crypto';
import { SessionRow, UserRow } from '../../src/accounts';
import { newId } from '../../src/platform/ids';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, aSession, anOperator } from '../support/builders';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '5' } });
});
afterAll(() => t.close());

const countUsers = () => t.db.read((tx) => tx.count(UserRow));

describe('consumer accounts', () => {
  test('a consumer registers, gets a bearer token and can see who they are', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: '  Li.Lei@Example.COM ', password: 'a long enough password', displayName: '李雷' })
      .expect(201);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', user: { email: 'li.lei@example.com', role: 'consumer', displayName: '李雷', factoryId: null } });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    const me = await t.http.get('/v1/me').set('Authorization', `Bearer ${res.body.token}`).expect(200);
    expect(me.body).toMatchObject({ id: res.body.user.id, role: 'consumer' });
    // The scheme in any case, as HTTP says it is.
    for (const scheme of ['bearer', 'BEARER']) await t.http.get('/v1/me').set('Authorization', `${scheme} ${res.body.token}`).expect(200);
  });

  test('a display name of invisible characters only is refused as missing (reason required) and creates nothing', async () => {
    const before = await countUsers();
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'invisible@example.com', password: 'a long enough password', displayName: '\u200B\u200D\u202E' })
      .expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.displayName', reason: 'required' })]);
    expect(await countUsers()).toBe(before);
  });

  test("without a display name a consumer is shown by the masked email, never the email's local part (often a phone or QQ number)", async () => {
    const res = await t.http.post('/v1/auth/register').send({ email: '13812345678@139.com', password: 'a long enough password' }).expect(201);
    expect(res.body.user.displayName).toBe('1***@139.com');
    expect(JSON.stringify(res.body.user.displayName)).not.toContain('5678');
  });

  test('an email with a local part longer than a display name (up to 254 characters) makes an account and a factory user, not a 500', async () => {
    const consumer = await t.http
      .post('/v1/auth/register')
      .send({ email: `${'c'.repeat(150)}@example.com`, password: 'a long enough password' })
      .expect(201);
    expect(consumer.body.user.displayName).toBe('c***@example.com');
    const longDomain = await t.http
      .post('/v1/auth/register')
      .send({ email: `d@${'x'.repeat(120)}.example.com`, password: 'a long enough password' })
      .expect(201);
    expect(longDomain.body.user.displayName).toBe('d***');
    const operator = await anOperator(t);
    const factory = await aFactory(t, operator);
    const user = await t.http
      .post(`/v1/factories/${factory.id}/users`)
      .set(operator.auth)
      .send({ email: `${'p'.repeat(150)}@example.com`, password: 'factory password 1' })
      .expect(201);
    expect(user.body.displayName).toBe('p'.repeat(100));
  });

  test('logs in with the same email in any case, and the password is stored hashed', async () => {
    await aConsumer(t, { email: 'han.meimei@example.com', password: 'another good password' });
    const res = await t.http.post('/v1/auth/login').send({ email: 'HAN.MEIMEI@example.com', password: 'another good password' }).expect(200);
    expect(res.body.user.email).toBe('han.meimei@example.com');
    const row = await t.db.read((tx) => tx.findOneByOrFail(UserRow, { email: 'han.meimei@example.com' }));
    // argon2id at the configured cost (the tests' cheap one: the code path is the production one).
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=64,p=1,t=1\$/);
    expect(row.passwordHash).not.toContain('another good password');
  });

  test('a second account with the same email is a 409 and creates nothing', async () => {
    await aConsumer(t, { email: 'taken@example.com' });
    const before = await countUsers();
    const res = await t.http.post('/v1/auth/register').send({ email: 'TAKEN@example.com', password: 'whatever password' }).expect(409);
    expect(res.body.code).toBe('email_taken');
    expect(await countUsers()).toBe(before);
  });

  test.each([
    ['an invalid email', { email: 'not-an-email', password: 'long enough password' }, 'body.email'],
    ['a short password', { email: 'a@example.com', password: 'short' }, 'body.password'],
    ['a 201-character password', { email: 'a@example.com', password: 'x'.repeat(201) }, 'body.password'],
    ['no email', { password: 'long enough password' }, 'body.email'],
    ['an unknown field (mass assignment of role)', { email: 'a@example.com', password: 'long enough password', role: 'operator' }, 'body'],
    ['a number for a password', { email: 'a@example.com', password: 12345678901 }, 'body.password'],
  ])('registration with %s is a 400 naming the field and creates nothing', async (_label, body, path) => {
    const before = await countUsers();
    const res = await t.http.post('/v1/auth/register').send(body).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await countUsers()).toBe(before);
  });

  test('a wrong password and an unknown email get the same 401', async () => {
    await aConsumer(t, { email: 'wrongpw@example.com', password: 'the right password' });
    const wrong = await t.http.post('/v1/auth/login').send({ email: 'wrongpw@example.com', password: 'the wrong password' }).expect(401);
    const unknown = await t.http.post('/v1/auth/login').send({ email: 'nobody@example.com', password: 'the wrong password' }).expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    expect(unknown.body.detail).toBe(wrong.body.detail);
  });

  test('a forged, tampered or malformed token is a 401 and a missing one is a 401 on a signed-in route', async () => {
    const consumer = await aConsumer(t);
    const [header, payload, signature] = consumer.token.split('.');
    const elevated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'operator' })).toString('base64url');
    for (const value of [`Bearer ${header}.${elevated}.${signature}`, 'Bearer not.a.token', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const res = await t.http.get('/v1/me').set('Authorization', value).expect(401);
      expect(res.body.code).toBe('unauthenticated');
    }
    expect((await t.http.get('/v1/me').expect(401)).body.code).toBe('unauthenticated');
  });

  test('a consumer cannot reach operator routes', async () => {
    const consumer = await aConsumer(t);
    const res = await t.http.post('/v1/factories').set(consumer.auth).send({ name: 'Sneaky', contactEmail: 'x@example.com' }).expect(403);
    expect(res.body.code).toBe('forbidden');
    await t.http.get('/v1/factories').set(consumer.auth).expect(403);
  });
});

describe('operators', () => {
  test('an operator created by the CLI path signs in with the operator role', async () => {
    const operator = await anOperator(t);
    const me = await t.http.get('/v1/me').set(operator.auth).expect(200);
    expect(me.body.role).toBe('operator');
  });

  test('the bootstrap operator is created once, however many replicas start', async () => {
    const input = { email: 'boot@example.com', password: 'bootstrap password' };
    const results = await Promise.all([1, 2, 3, 4].map(() => t.app.services.accounts.ensureOperator(input)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await t.db.read((tx) => tx.countBy(UserRow, { email: 'boot@example.com', role: 'operator' }))).toBe(1);
  });

  test('a bootstrap operator whose email is configured with capitals signs in with it as typed, and is made once', async () => {
    // BOOTSTRAP_OPERATOR_EMAIL is checked as an email but not lower-cased by the configuration.
    const input = { email: 'Chief.Ops@Example.COM', password: 'bootstrap password' };
    expect(await t.app.services.accounts.ensureOperator(input)).toEqual({ created: true });
    expect(await t.app.services.accounts.ensureOperator({ ...input, email: 'chief.ops@example.com' })).toEqual({ created: false });
    const res = await t.http.post('/v1/auth/login').send(input).expect(200);
    expect(res.body.user).toMatchObject({ email: 'chief.ops@example.com', role: 'operator' });
  });
});

/** A password hash as the service stored it before argon2id: scrypt$N$r$p$salt$hash, base64url. */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 1024, r: 8, p: 1 });
  return ['scrypt', 1024, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hashes', () => {
  test('an account whose password was hashed with scrypt signs in, and its hash is replaced by argon2id; the old password still works and a wrong one does not', async () => {
    const email = 'legacy@example.com';
    await t.db.transaction((tx) =>
      tx.insert(UserRow, {
        id: newId(),
        email,
        passwordHash: legacyScryptHash('an old good password'),
        role: 'consumer',
        factoryId: null,
        displayName: 'legacy',
        createdAt: new Date(),
      }),
    );
    await t.http.post('/v1/auth/login').send({ email, password: 'an old good password' }).expect(200);
    const row = await t.db.read((tx) => tx.findOneByOrFail(UserRow, { email }));
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    await t.http.post('/v1/auth/login').send({ email, password: 'an old good password' }).expect(200);
    await t.http.post('/v1/auth/login').send({ email, password: 'not the password' }).expect(401);
  });

  test('a wrong password does not re-hash a legacy hash', async () => {
    const email = 'legacy-wrong@example.com';
    const legacy = legacyScryptHash('an old good password');
    await t.db.transaction((tx) =>
      tx.insert(UserRow, { id: newId(), email, passwordHash: legacy, role: 'consumer', factoryId: null, displayName: 'legacy', createdAt: new Date() }),
    );
    await t.http.post('/v1/auth/login').send({ email, password: 'not the password' }).expect(401);
    expect((await t.db.read((tx) => tx.findOneByOrFail(UserRow, { email }))).passwordHash).toBe(legacy);
  });

  test('hashing is bounded: with one hash at a time and two waiting, 8 sign-ins at once at the production cost get 200 or a 503 with Retry-After, never more at once', async () => {
    const busy = await startTestApp({
      env: { PASSWORD_HASH_MEMORY_KIB: '19456', PASSWORD_HASH_ITERATIONS: '2', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_LIMIT: '2' },
    });
    try {
      const consumer = await aConsumer(busy, { password: 'a production-cost password' });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => busy.http.post('/v1/auth/login').send({ email: consumer.email, password: 'a production-cost password' })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      for (const refused of answers.filter((a) => a.status === 503)) {
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.headers['retry-after']).toMatch(/^\d+$/);
        expect(refused.body.code).toBe('server_busy');
      }
    } finally {
      await busy.close();
    }
  });
});

describe('registering an email that has an account (issue 14, item 14)', () => {
  test("with that account's password it signs in: the same 201 and shape as a new account, the same account, a new session", async () => {
    const first = await t.http.post('/v1/auth/register').send({ email: 'twice@example.com', password: 'a double tapped password' }).expect(201);
    const before = await countUsers();
    const again = await t.http.post('/v1/auth/register').send({ email: 'Twice@Example.com', password: 'a double tapped password' }).expect(201);
    expect(Object.keys(again.body).sort()).toEqual(Object.keys(first.body).sort());
    expect(again.body.user).toEqual(first.body.user);
    expect(again.body.token).not.toBe(first.body.token);
    expect(await countUsers()).toBe(before);
    for (const token of [first.body.token, again.body.token]) await t.http.get('/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
  });

  test("with another password it is a 409 email_taken, and an operator's email is a 409 even with its password", async () => {
    await aConsumer(t, { email: 'owned@example.com', password: 'the owner password' });
    const wrong = await t.http.post('/v1/auth/register').send({ email: 'owned@example.com', password: 'not the owner password' }).expect(409);
    expect(wrong.body.code).toBe('email_taken');
    await t.app.services.accounts.createOperator({ email: 'boss@example.com', password: 'the operator password' });
    const operator = await t.http.post('/v1/auth/register').send({ email: 'boss@example.com', password: 'the operator password' }).expect(409);
    expect(operator.body).toMatchObject({ code: 'email_taken', detail: wrong.body.detail });
  });

  test('one sign-up sent several times at once makes one account and signs every copy in', async () => {
    const body = { email: 'double-tap@example.com', password: 'a double tapped password' };
    const answers = await Promise.all(Array.from({ length: 4 }, () => t.http.post('/v1/auth/register').send(body)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.user.id)).size).toBe(1);
    expect(await t.db.read((tx) => tx.countBy(UserRow, { email: body.email }))).toBe(1);
  });

  test("guessing an account's password through registration counts as failed sign-ins (429 too_many_login_attempts)", async () => {
    const limited = await startTestApp({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '3' } });
    try {
      await limited.http.post('/v1/auth/register').send({ email: 'target@example.com', password: 'the real password' }).expect(201);
      for (let i = 0; i < 3; i++)
        await limited.http
          .post('/v1/auth/register')
          .send({ email: 'target@example.com', password: `guess number ${i}` })
          .expect(409);
      const refused = await limited.http.post('/v1/auth/register').send({ email: 'target@example.com', password: 'the real password' }).expect(429);
      expect(refused.body.code).toBe('too_many_login_attempts');
      // And the sign-in route shares the count.
      expect((await limited.http.post('/v1/auth/login').send({ email: 'target@example.com', password: 'the real password' }).expect(429)).body.code).toBe(
        'too_many_login_attempts',
      );
    } finally {
      await limited.close();
    }
  });
});

describe('registration rate limit', () => {
  test('the 4th registration from one address in 15 minutes is a 429 and creates nothing, whether the emails were new or taken', async () => {
    const limited = await startTestApp({ env: { REGISTER_RATE_LIMIT_PER_15_MIN: '3' } });
    try {
      const register = (email: string, password = 'a long enough password') => limited.http.post('/v1/auth/register').send({ email, password });
      expect((await register('first@example.com')).status).toBe(201);
      expect((await register('first@example.com', 'another long password')).status).toBe(409);
      expect((await register('second@example.com')).status).toBe(201);
      const refused = await register('third@example.com').expect(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('too_many_registrations');
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(await limited.db.read((tx) => tx.count(UserRow))).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('sessions', () => {
  const signIn = async (email: string, password: string) => (await aSession(t, email, password)).auth.Authorization;
  const me = (auth: string) => t.http.get('/v1/me').set('Authorization', auth);

  test('signing out ends that session at once and no other', async () => {
    const consumer = await aConsumer(t, { password: 'a session password' });
    const laptop = await signIn(consumer.email, 'a session password');
    await t.http.post('/v1/auth/logout').set(consumer.auth).expect(204);
    const after = await me(consumer.auth.Authorization).expect(401);
    expect(after.body.code).toBe('unauthenticated');
    await t.http.post('/v1/auth/logout').set(consumer.auth).expect(401);
    await me(laptop).expect(200);
  });

  test('a sign-out on one replica is honoured at once by another replica on the same database', async () => {
    const replica = await startTestApp({ database: { config: t.dbConfig, drop: async () => undefined } });
    try {
      const consumer = await aConsumer(t);
      await replica.http.get('/v1/me').set(consumer.auth).expect(200);
      await t.http.post('/v1/auth/logout').set(consumer.auth).expect(204);
      await replica.http.get('/v1/me').set(consumer.auth).expect(401);
    } finally {
      await replica.close();
    }
  });

  test('changing the password ends every other session, keeps this one, and only the new password signs in', async () => {
    const consumer = await aConsumer(t, { password: 'the old password' });
    const phone = await signIn(consumer.email, 'the old password');
    await t.http.post('/v1/auth/password').set(consumer.auth).send({ currentPassword: 'the old password', newPassword: 'the new password' }).expect(204);
    await me(phone).expect(401);
    await me(consumer.auth.Authorization).expect(200);
    await t.http.post('/v1/auth/login').send({ email: consumer.email, password: 'the old password' }).expect(401);
    await t.http.post('/v1/auth/login').send({ email: consumer.email, password: 'the new password' }).expect(200);
  });

  test('a wrong current password is a 403 that changes nothing', async () => {
    const consumer = await aConsumer(t, { password: 'the real password' });
    const phone = await signIn(consumer.email, 'the real password');
    const res = await t.http
      .post('/v1/auth/password')
      .set(consumer.auth)
      .send({ currentPassword: 'a guessed password', newPassword: 'a takeover password' })
      .expect(403);
    expect(res.body.code).toBe('wrong_password');
    await me(phone).expect(200);
    await t.http.post('/v1/auth/login').send({ email: consumer.email, password: 'the real password' }).expect(200);
  });

  test('a password is 10–200 characters after NFKC: too_short and too_long with their limits; full-width counts as its ASCII form', async () => {
    const register = (password: string) => t.http.post('/v1/auth/register').send({ email: `nfkc-${randomBytes(4).toString('hex')}@example.com`, password });
    const reasons = async (password: string) =>
      (await register(password).expect(400)).body.errors.map((e: { path: string; reason: string; limit: number }) => [e.path, e.reason, e.limit]);
    expect(await reasons('e\u0301'.repeat(5))).toEqual([['body.password', 'too_short', 10]]);
    expect(await reasons('x'.repeat(201))).toEqual([['body.password', 'too_long', 200]]);
    expect(await reasons('😀'.repeat(5))).toEqual([['body.password', 'too_short', 10]]);
    await register('e\u0301'.repeat(10)).expect(201);
    await register('ｃｏｒｒｅｃｔ　ｈｏｒｓｅ').expect(201);
  });

  test('a new password is validated like a sign-up password', async () => {
    const consumer = await aConsumer(t, { password: 'the real password' });
    const res = await t.http.post('/v1/auth/password').set(consumer.auth).send({ currentPassword: 'the real password', newPassword: 'short' }).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.newPassword']);
    const decomposed = await t.http
      .post('/v1/auth/password')
      .set(consumer.auth)
      .send({ currentPassword: 'the real password', newPassword: 'e\u0301'.repeat(5) })
      .expect(400);
    expect(decomposed.body.errors).toMatchObject([{ path: 'body.newPassword', reason: 'too_short', limit: 10 }]);
  });

  test('operators and factory users sign out and change passwords too; a factory API key has no session to end', async () => {
    const operator = await anOperator(t);
    const factory = await aFactory(t, operator);
    await t.http
      .post('/v1/auth/password')
      .set(factory.user.auth)
      .send({ currentPassword: 'factory password 1', newPassword: 'factory password 2' })
      .expect(204);
    await t.http.post('/v1/auth/logout').set(factory.user.auth).expect(204);
    await t.http.get('/v1/factory/forecast').set(factory.user.auth).expect(401);
    const key = await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'erp' }).expect(201);
    const res = await t.http.post('/v1/auth/logout').set('Authorization', `Bearer ${key.body.apiKey}`).expect(400);
    expect(res.body.code).toBe('not_a_session');
    await t.http.post('/v1/auth/logout').set(operator.auth).expect(204);
    await t.http.get('/v1/factories').set(operator.auth).expect(401);
  });

  test('a token without a session (signed with the right key, as tokens were before sign-out existed) is refused', async () => {
    const consumer = await aConsumer(t);
    const token = jwt.sign({ sub: consumer.userId, role: 'consumer' }, 'test-secret-that-is-long-enough-0123456789', {
      algorithm: 'HS256',
      expiresIn: 3600,
      issuer: 'c2m-presale',
    });
    await me(`Bearer ${token}`).expect(401);
  });

  test('sessions past their expiry are purged; live ones are kept', async () => {
    const consumer = await aConsumer(t);
    const hours = (h: number) => new Date(Date.now() + h * 3600_000);
    expect(await t.app.services.accounts.purgeExpiredSessions(hours(1))).toBe(0);
    await me(consumer.auth.Authorization).expect(200);
    expect(await t.app.services.accounts.purgeExpiredSessions(hours(13))).toBeGreaterThan(0);
  });

  /**
   * Holds the next password check of a sign-in until released: the sign-in has read the account and waits for
   * the hasher, as it does behind a queue of sign-ins, while something else changes the account.
   */
  const holdNextPasswordCheck = () => {
    const hasher = (t.app.services.accounts as unknown as { deps: { hasher: { verify: (p: string, h: string) => Promise<unknown> } } }).deps.hasher;
    const verify = hasher.verify;
    let reached!: () => void;
    let release!: () => void;
    const checking = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    hasher.verify = async (password, hash) => {
      hasher.verify = verify;
      reached();
      await released;
      return verify.call(hasher, password, hash);
    };
    return { checking, release };
  };

  test('a factory user disabled while their sign-in is being checked gets no session (403 account_disabled)', async () => {
    const operator = await anOperator(t);
    const factory = await aFactory(t, operator);
    const held = holdNextPasswordCheck();
    const login = t.http
      .post('/v1/auth/login')
      .send({ email: factory.user.email, password: 'factory password 1' })
      .then((r) => r);
    await held.checking;
    await t.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/disable`).set(operator.auth).send({ reason: '离职' }).expect(200);
    held.release();
    const res = await login;
    expect([res.status, res.body.code]).toEqual([403, 'account_disabled']);
    expect(await t.db.read((tx) => tx.countBy(SessionRow, { userId: factory.user.userId }))).toBe(0);
  });

  test('a sign-in with the old password checked while the password changes gets no session (401)', async () => {
    const consumer = await aConsumer(t, { password: 'the old password' });
    const held = holdNextPasswordCheck();
    const login = t.http
      .post('/v1/auth/login')
      .send({ email: consumer.email, password: 'the old password' })
      .then((r) => r);
    await held.checking;
    await t.http.post('/v1/auth/password').set(consumer.auth).send({ currentPassword: 'the old password', newPassword: 'the new password' }).expect(204);
    held.release();
    const res = await login;
    expect([res.status, res.body.code]).toEqual([401, 'invalid_credentials']);
    expect(await t.db.read((tx) => tx.countBy(SessionRow, { userId: consumer.userId }))).toBe(1);
  });

  test('two sessions changing the password at once: the one ended by the other is refused, and the password is the first one set', async () => {
    const consumer = await aConsumer(t, { password: 'the old password' });
    const phone = await aSession(t, consumer.email, 'the old password');
    const held = holdNextPasswordCheck();
    const fromLaptop = t.http
      .post('/v1/auth/password')
      .set(consumer.auth)
      .send({ currentPassword: 'the old password', newPassword: 'the laptop password' })
      .then((r) => r);
    await held.checking;
    await t.http.post('/v1/auth/password').set(phone.auth).send({ currentPassword: 'the old password', newPassword: 'the phone password' }).expect(204);
    held.release();
    expect((await fromLaptop).status).toBe(401);
    await me(phone.auth.Authorization).expect(200);
    await t.http.post('/v1/auth/login').send({ email: consumer.email, password: 'the phone password' }).expect(200);
    await t.http.post('/v1/auth/login').send({ email: consumer.email, password: 'the laptop password' }).expect(401);
  });
});

describe('login rate limit', () => {
  test('after 5 failed logins from one client, the 6th is refused with 429 even with the right password', async () => {
    await aConsumer(t, { email: 'limited@example.com', password: 'the right password' });
    for (let i = 0; i < 5; i++)
      await t.http
        .post('/v1/auth/login')
        .send({ email: 'limited@example.com', password: `guess number ${i}` })
        .expect(401);
    const res = await t.http.post('/v1/auth/login').send({ email: 'limited@example.com', password: 'the right password' }).expect(429);
    expect(res.body.code).toBe('too_many_login_attempts');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('what the failed sign-in limits count', () => {
  test('only wrong guesses count: bodies that are not valid and too-short new passwords never lock out the right password', async () => {
    const limited = await startTestApp({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '3' } });
    try {
      const email = 'not-a-guess@example.com';
      const signedUp = await limited.http.post('/v1/auth/register').send({ email, password: 'the right password' }).expect(201);
      const auth = { Authorization: `Bearer ${signedUp.body.token}` };
      for (let i = 0; i < 5; i++) {
        await limited.http.post('/v1/auth/login').send({ email, password: 'the right password', remember: true }).expect(400);
        await limited.http.post('/v1/auth/password').set(auth).send({ currentPassword: 'the right password', newPassword: 'short' }).expect(400);
      }
      await limited.http.post('/v1/auth/login').send({ email, password: 'the right password' }).expect(200);
      await limited.http.post('/v1/auth/password').set(auth).send({ currentPassword: 'the right password', newPassword: 'a new password 1' }).expect(204);
      // Wrong guesses still count: three wrong passwords, and the right one waits.
      for (let i = 0; i < 3; i++)
        await limited.http
          .post('/v1/auth/login')
          .send({ email, password: `guess number ${i}` })
          .expect(401);
      expect((await limited.http.post('/v1/auth/login').send({ email, password: 'a new password 1' }).expect(429)).body.code).toBe('too_many_login_attempts');
    } finally {
      await limited.close();
    }
  });
});
