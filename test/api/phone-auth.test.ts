import { randomInt } from 'node:crypto';
import { PhoneCodeRow, SessionRow, UserRow } from '../../src/accounts';
import { DEMO_ACCOUNTS, seedDemoData } from '../../src/demo/seed';
import { createLogger } from '../../src/platform/logger';
import { startTestApp, type TestApp } from '../support/app';
import { anOperator, type Caller } from '../support/builders';
import { TestClock } from '../support/clock';

/** Sign-in and sign-up by phone number and a one-time SMS code, through real HTTP on the test database. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;

beforeAll(async () => {
  clock = new TestClock();
  // The per-address limit has its own app below; here every test asks from one address.
  t = await startTestApp({ clock, env: { SMS_CODES_PER_ADDRESS_PER_HOUR: '100000' } });
  operator = await anOperator(t);
});
afterAll(() => t.close());

/** A mainland mobile number no other test uses, as a person would type it, and its E.164 form. */
const aPhone = () => {
  const national = `139${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  return { typed: national, e164: `+86${national}` };
};
const askCode = (app: TestApp, phone: string, headers: Record<string, string> = {}) => app.http.post('/v1/auth/phone/code').set(headers).send({ phone });
const verify = (app: TestApp, phone: string, code: string) => app.http.post('/v1/auth/phone/verify').send({ phone, code });
const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const count = (app: TestApp, entity: typeof UserRow | typeof PhoneCodeRow | typeof SessionRow, where: Record<string, unknown> = {}) =>
  app.db.read((tx) => tx.countBy(entity, where));
const MINUTE = 60_000;

describe('phone sign-in and sign-up', () => {
  test('a code is sent, verified for a new consumer account, and its token works on GET /v1/me; the next sign-in finds the same account', async () => {
    const phone = aPhone();
    const sent = await askCode(t, `+86 ${phone.typed.slice(0, 3)}-${phone.typed.slice(3, 7)} ${phone.typed.slice(7)}`).expect(202);
    expect(sent.body).toEqual({
      phone: `+86 ${phone.typed.slice(0, 3)}****${phone.typed.slice(7)}`,
      expiresInSeconds: 300,
      resendAfterSeconds: 60,
      sandboxCode: expect.stringMatching(/^\d{6}$/),
    });
    // What the phone received: the Chinese template with the same code.
    const outbox = await t.http.get('/v1/sandbox/sms').query({ phone: phone.typed }).set(operator.auth).expect(200);
    expect(outbox.body.items).toEqual([
      {
        phone: phone.e164,
        code: sent.body.sandboxCode,
        text: `【C2M预售】验证码 ${sent.body.sandboxCode}，5 分钟内有效。如非本人操作，请忽略。`,
        sentAt: expect.any(String),
      },
    ]);
    // The code is stored only as a keyed hash.
    const row = await t.db.read((tx) => tx.findOneByOrFail(PhoneCodeRow, { phone: phone.e164 }));
    expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.codeHash).not.toContain(sent.body.sandboxCode);

    const signedIn = await verify(t, phone.typed, sent.body.sandboxCode).expect(200);
    expect(signedIn.body).toMatchObject({ tokenType: 'Bearer', newAccount: true, user: { phone: phone.e164, email: null, role: 'consumer', factoryId: null } });
    const me = await t.http.get('/v1/me').set('Authorization', `Bearer ${signedIn.body.token}`).expect(200);
    expect(me.body).toMatchObject({ id: signedIn.body.user.id, phone: phone.e164, email: null, role: 'consumer' });
    expect(me.body.displayName).toBe(`${phone.typed.slice(0, 3)}****${phone.typed.slice(7)}`);

    clock.offsetMs += MINUTE + 1000;
    const again = await askCode(t, phone.e164).expect(202);
    const second = await verify(t, phone.e164, again.body.sandboxCode).expect(200);
    expect(second.body).toMatchObject({ newAccount: false, user: { id: signedIn.body.user.id } });
    expect(await count(t, UserRow, { phone: phone.e164 })).toBe(1);
  });

  test('a code cannot be used twice', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed).expect(202);
    await verify(t, phone.typed, body.sandboxCode).expect(200);
    const res = await verify(t, phone.typed, body.sandboxCode).expect(400);
    expect(res.body.code).toBe('code_invalid');
  });

  test('five wrong codes kill the code: the right one is refused after them, and a new code works', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed).expect(202);
    for (let i = 0; i < 5; i++) {
      const res = await verify(t, phone.typed, wrongCodeFor(body.sandboxCode)).expect(400);
      expect(res.body.code).toBe('code_invalid');
    }
    const dead = await verify(t, phone.typed, body.sandboxCode).expect(400);
    expect(dead.body.code).toBe('code_invalid');
    expect(await count(t, UserRow, { phone: phone.e164 })).toBe(0);

    clock.offsetMs += MINUTE + 1000;
    const fresh = await askCode(t, phone.typed).expect(202);
    await verify(t, phone.typed, fresh.body.sandboxCode).expect(200);
  });

  test('an expired code is refused; a new code replaces the old one', async () => {
    const phone = aPhone();
    const first = await askCode(t, phone.typed).expect(202);
    clock.offsetMs += 5 * MINUTE + 1000;
    const expired = await verify(t, phone.typed, first.body.sandboxCode).expect(400);
    expect(expired.body.code).toBe('code_invalid');

    const second = await askCode(t, phone.typed).expect(202);
    if (second.body.sandboxCode !== first.body.sandboxCode) await verify(t, phone.typed, first.body.sandboxCode).expect(400);
    await verify(t, phone.typed, second.body.sandboxCode).expect(200);
  });

  test('a code for an unknown number, or for another number, is refused the same way', async () => {
    const [a, b] = [aPhone(), aPhone()];
    const sent = await askCode(t, a.typed).expect(202);
    const never = await verify(t, b.typed, sent.body.sandboxCode).expect(400);
    expect(never.body.code).toBe('code_invalid');
    await askCode(t, b.typed).expect(202);
    const other = await verify(t, b.typed, sent.body.sandboxCode);
    // One in a million: b's own code happens to equal a's.
    if (other.status !== 200) expect(other.body.code).toBe('code_invalid');
  });

  test('per phone: one code a minute and five an hour, refused with 429 sms_rate_limited and Retry-After', async () => {
    const phone = aPhone();
    await askCode(t, phone.typed).expect(202);
    const tooSoon = await askCode(t, phone.typed).expect(429);
    expect(tooSoon.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tooSoon.body.code).toBe('sms_rate_limited');
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(55);
    expect(Number(tooSoon.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The typed forms are one number.
    expect((await askCode(t, `+86${phone.typed}`).expect(429)).body.code).toBe('sms_rate_limited');

    for (let sent = 1; sent < 5; sent++) {
      clock.offsetMs += MINUTE + 1000;
      await askCode(t, phone.typed).expect(202);
    }
    clock.offsetMs += MINUTE + 1000;
    const sixth = await askCode(t, phone.typed).expect(429);
    expect(sixth.body.code).toBe('sms_rate_limited');
    const retryAfter = Number(sixth.headers['retry-after']);
    // The hour began at the first code, about 5 minutes ago.
    expect(retryAfter).toBeGreaterThan(50 * 60);
    expect(retryAfter).toBeLessThanOrEqual(56 * 60);

    clock.offsetMs += retryAfter * 1000;
    const next = await askCode(t, phone.typed).expect(202);
    await verify(t, phone.typed, next.body.sandboxCode).expect(200);
  });

  test('codes asked for one new number at once: one is sent, the others are told to wait', async () => {
    const phone = aPhone();
    const answers = await Promise.all(Array.from({ length: 6 }, () => askCode(t, phone.typed)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 429, 429, 429, 429, 429]);
    expect(t.app.services.sms.sentTo(phone.e164)).toHaveLength(1);
    const sent = answers.find((a) => a.status === 202)!;
    await verify(t, phone.typed, sent.body.sandboxCode).expect(200);
  });

  test('the answer is the same whether or not the number has an account', async () => {
    const known = aPhone();
    const unknown = aPhone();
    const first = await askCode(t, known.typed).expect(202);
    await verify(t, known.typed, first.body.sandboxCode).expect(200);
    clock.offsetMs += MINUTE + 1000;

    const shape = (res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) => ({
      status: res.status,
      keys: Object.keys(res.body).sort(),
      expiresInSeconds: res.body.expiresInSeconds,
      resendAfterSeconds: res.body.resendAfterSeconds,
      type: res.headers['content-type'],
    });
    const [forKnown, forUnknown] = await Promise.all([askCode(t, known.typed), askCode(t, unknown.typed)]);
    expect(shape(forKnown)).toEqual(shape(forUnknown));
    expect(forKnown.status).toBe(202);
    // And so are the refusals: too soon for both.
    const [soonKnown, soonUnknown] = await Promise.all([askCode(t, known.typed), askCode(t, unknown.typed)]);
    expect([soonKnown.status, soonKnown.body.code, soonKnown.body.detail]).toEqual([soonUnknown.status, soonUnknown.body.code, soonUnknown.body.detail]);
    // Asking for a code made no account.
    expect(await count(t, UserRow, { phone: unknown.e164 })).toBe(0);
  });

  test.each([
    ['a short number', '1381234567'],
    ['a landline', '010-12345678'],
    ['a number not starting 13–19', '12812345678'],
    ['a foreign number', '+1 415 555 0100'],
    ['letters', '138abcd5678'],
    ['an empty string', ''],
    ['a very long string', `1${'3'.repeat(100)}`],
    ['a number (not a string)', 13812345678],
  ])('%s is a 400 validation_failed naming body.phone, and stores nothing', async (_label, bad) => {
    const before = await count(t, PhoneCodeRow);
    for (const path of ['/v1/auth/phone/code', '/v1/auth/phone/verify']) {
      const res = await t.http
        .post(path)
        .send(path.endsWith('code') ? { phone: bad } : { phone: bad, code: '123456' })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('body.phone');
    }
    expect(await count(t, PhoneCodeRow)).toBe(before);
  });

  test('a malformed code or an unknown field is a 400, and counts no try', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed).expect(202);
    for (const payload of [
      { phone: phone.typed, code: '12345' },
      { phone: phone.typed, code: 123456 },
      { phone: phone.typed, code: body.sandboxCode, role: 'operator' },
    ]) {
      expect((await t.http.post('/v1/auth/phone/verify').send(payload).expect(400)).body.code).toBe('validation_failed');
    }
    expect((await t.db.read((tx) => tx.findOneByOrFail(PhoneCodeRow, { phone: phone.e164 }))).attempts).toBe(0);
    await verify(t, phone.typed, body.sandboxCode).expect(200);
  });

  test('a code typed in full-width digits (a Chinese input method) or with spaces is the code', async () => {
    const fullWidth = (digits: string) => digits.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    const phone = aPhone();
    const { body } = await askCode(t, fullWidth(phone.typed)).expect(202);
    await verify(t, phone.typed, fullWidth(body.sandboxCode)).expect(200);
    const other = aPhone();
    const again = await askCode(t, other.typed).expect(202);
    const code: string = again.body.sandboxCode;
    await verify(t, other.typed, ` ${code.slice(0, 3)} ${code.slice(3)}\u3000`).expect(200);
  });

  test('a new code the SMS provider did not take is a 503 sms_unavailable, and the code already on the phone still works', async () => {
    const phone = aPhone();
    const first = await askCode(t, phone.typed).expect(202);
    clock.offsetMs += MINUTE + 1000;
    const sms = (t.app.services.phoneCodes as unknown as { deps: { sms: { sendVerificationCode: (m: unknown) => Promise<void> } } }).deps.sms;
    const send = sms.sendVerificationCode;
    sms.sendVerificationCode = async () => {
      throw new Error('the provider did not answer');
    };
    try {
      expect((await askCode(t, phone.typed).expect(503)).body.code).toBe('sms_unavailable');
    } finally {
      sms.sendVerificationCode = send;
    }
    await verify(t, phone.typed, first.body.sandboxCode).expect(200);
  });

  test('verifies of one code sent at once give exactly one session', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed).expect(202);
    const answers = await Promise.all(Array.from({ length: 8 }, () => verify(t, phone.typed, body.sandboxCode)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.code === 'code_invalid')).toBe(true);
    const user = await t.db.read((tx) => tx.findOneByOrFail(UserRow, { phone: phone.e164 }));
    expect(await count(t, SessionRow, { userId: user.id })).toBe(1);
    expect(await count(t, UserRow, { phone: phone.e164 })).toBe(1);
  });

  test('the message is in English when the request prefers English', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed, { 'Accept-Language': 'en-US,en;q=0.9' }).expect(202);
    const outbox = await t.http.get('/v1/sandbox/sms').query({ phone: phone.e164 }).set(operator.auth).expect(200);
    expect(outbox.body.items[0].text).toBe(
      `[C2M Presale] Your code is ${body.sandboxCode}, valid for 5 minutes. If you did not ask for it, ignore this message.`,
    );
  });

  test('the sandbox outbox is for operators only, and takes a valid phone', async () => {
    const phone = aPhone();
    const consumer = await askCode(t, phone.typed).then((r) => verify(t, phone.typed, r.body.sandboxCode).expect(200));
    await t.http.get('/v1/sandbox/sms').query({ phone: phone.typed }).set('Authorization', `Bearer ${consumer.body.token}`).expect(403);
    await t.http.get('/v1/sandbox/sms').query({ phone: phone.typed }).expect(401);
    expect((await t.http.get('/v1/sandbox/sms').query({ phone: 'nope' }).set(operator.auth).expect(400)).body.code).toBe('invalid_query');
  });

  test('a phone account has no password: changing it is a 409 password_not_set', async () => {
    const phone = aPhone();
    const { body } = await askCode(t, phone.typed).expect(202);
    const session = await verify(t, phone.typed, body.sandboxCode).expect(200);
    const res = await t.http
      .post('/v1/auth/password')
      .set('Authorization', `Bearer ${session.body.token}`)
      .send({ currentPassword: 'anything at all', newPassword: 'a new long password' })
      .expect(409);
    expect(res.body.code).toBe('password_not_set');
  });
});

describe('limits and switches', () => {
  test('per client address: codes for many numbers from one address are refused with 429 and Retry-After', async () => {
    const limited = await startTestApp({ env: { SMS_CODES_PER_ADDRESS_PER_HOUR: '3' } });
    try {
      for (let i = 0; i < 3; i++) await askCode(limited, aPhone().typed).expect(202);
      const res = await askCode(limited, aPhone().typed).expect(429);
      expect(res.body.code).toBe('sms_rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(await count(limited, PhoneCodeRow)).toBe(3);
    } finally {
      await limited.close();
    }
  });

  test('wrong codes from one address count like failed sign-ins: past the limit a 429, even for the right code', async () => {
    // LOGIN_RATE_LIMIT_PER_15_MIN 1: 10 failures per address (×10, as for sign-in).
    const limited = await startTestApp({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '1' } });
    try {
      const phone = aPhone();
      const { body } = await askCode(limited, phone.typed).expect(202);
      for (let i = 0; i < 10; i++) await verify(limited, aPhone().typed, '000000').expect(400);
      const refused = await verify(limited, phone.typed, body.sandboxCode).expect(429);
      expect(refused.body.code).toBe('too_many_login_attempts');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  test('codes sent more than an hour ago are purged; newer ones, and their counts, are kept', async () => {
    const old = aPhone();
    const recent = aPhone();
    await askCode(t, old.typed).expect(202);
    clock.offsetMs += 61 * MINUTE;
    await askCode(t, recent.typed).expect(202);
    await t.app.services.phoneCodes.purge(clock.now());
    expect(await count(t, PhoneCodeRow, { phone: old.e164 })).toBe(0);
    expect(await count(t, PhoneCodeRow, { phone: recent.e164 })).toBe(1);
    await askCode(t, recent.typed).expect(429);
  });

  test('with SMS_SANDBOX_ECHO off the answer carries no code; the code still reaches the phone', async () => {
    const quiet = await startTestApp({ env: { SMS_SANDBOX_ECHO: 'false' } });
    try {
      const phone = aPhone();
      const sent = await askCode(quiet, phone.typed).expect(202);
      expect(sent.body).toEqual({ phone: expect.stringMatching(/^\+86 139\*{4}\d{4}$/), expiresInSeconds: 300, resendAfterSeconds: 60 });
      const code = quiet.app.services.sms.sentTo(phone.e164)[0].code;
      await verify(quiet, phone.typed, code).expect(200);
    } finally {
      await quiet.close();
    }
  });

  test('without SANDBOX_TEST_ROUTES there is no sandbox outbox route', async () => {
    const plain = await startTestApp({ env: { SANDBOX_TEST_ROUTES: 'false' } });
    try {
      const op = await anOperator(plain);
      await plain.http.get('/v1/sandbox/sms').query({ phone: aPhone().typed }).set(op.auth).expect(404);
    } finally {
      await plain.close();
    }
  });

  test('the demo consumer signs in by phone too, to the same account as by email', async () => {
    const demo = await startTestApp();
    try {
      await seedDemoData(demo.app, createLogger('silent'));
      const { body } = await askCode(demo, '138 0013 8000').expect(202);
      const byPhone = await verify(demo, '13800138000', body.sandboxCode).expect(200);
      const byEmail = await demo.http
        .post('/v1/auth/login')
        .send({ email: DEMO_ACCOUNTS.consumer.email, password: DEMO_ACCOUNTS.consumer.password })
        .expect(200);
      expect(byPhone.body).toMatchObject({
        newAccount: false,
        user: { id: byEmail.body.user.id, email: DEMO_ACCOUNTS.consumer.email, phone: '+8613800138000' },
      });
    } finally {
      await demo.close();
    }
  });
});
