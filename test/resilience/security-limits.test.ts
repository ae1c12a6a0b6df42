import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign } from '../support/campaigns';
import { TestClock } from '../support/clock';

/**
 * OWASP API6 (a bot buying out a capped launch) and credential stuffing: sign-ins and pledges are
 * limited per account and per address. What test/api/accounts.test.ts (5 failed sign-ins of one
 * account) and test/api/rate-limits.test.ts (the 4th pledge of an account, the 6th of an address) show
 * is not repeated; here are the ways round those limits a bot would try.
 */
const black = { colour: 'black', size: 'M' };

function pledgeFrom(t: TestApp, consumer: Caller, campaignId: string, headers: Record<string, string> = {}) {
  return t.http
    .post(`/v1/campaigns/${campaignId}/pledges`)
    .set(consumer.auth)
    .set(headers)
    .set('Idempotency-Key', randomUUID())
    .send({ variant: black, quantity: 1 });
}
const login = (t: TestApp, email: string, password: string, headers: Record<string, string> = {}) =>
  t.http.post('/v1/auth/login').set(headers).send({ email, password });
const spoofed = () => ({ 'X-Forwarded-For': `203.0.113.${Math.floor(Math.random() * 250) + 1}` });

describe('directly on the internet (TRUST_PROXY off)', () => {
  let t: TestApp;
  let clock: TestClock;
  let operator: Caller;
  let factory: { id: string };
  let pledgers: Caller[];
  beforeAll(async () => {
    clock = new TestClock();
    t = await startTestApp({
      clock,
      env: { LOGIN_RATE_LIMIT_PER_15_MIN: '2', PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '3', PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '8' },
    });
    // Everyone who signs in or signs up does so now: the credential stuffing below uses up this address's
    // sign-ins, and a sign-up from an address that failed that often is refused too (it can guess passwords).
    operator = await anOperator(t);
    factory = await aFactory(t, operator);
    pledgers = await Promise.all(Array.from({ length: 10 }, () => aConsumer(t)));
  });
  afterAll(() => t.close());

  test('credential stuffing: after 20 failed sign-ins over 20 accounts from one address (each claiming another), the next is refused even with a right password', async () => {
    const victim = await aConsumer(t, { password: 'the right password' });
    for (let i = 0; i < 20; i++) await login(t, `stuffed-${i}@example.com`, 'a leaked password', spoofed()).expect(401);
    const res = await login(t, victim.email, 'the right password', spoofed()).expect(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, code: 'too_many_login_attempts' });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    // Nor can the address go on guessing through sign-up (a taken email with a guessed password signs in).
    const signUp = await t.http.post('/v1/auth/register').set(spoofed()).send({ email: victim.email, password: 'another guess 123' }).expect(429);
    expect(signUp.body.code).toBe('too_many_login_attempts');
  });

  test('one account guessed under other spellings of its email (case, spaces) is still one account', async () => {
    const fresh = await startTestApp({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '2' } });
    try {
      const victim = await aConsumer(fresh, { email: 'spelled@example.com', password: 'the right password' });
      await login(fresh, 'Spelled@Example.COM', 'guess one').expect(401);
      await login(fresh, '  spelled@example.com ', 'guess two').expect(401);
      await login(fresh, victim.email.toUpperCase(), 'the right password').expect(429);
    } finally {
      await fresh.close();
    }
  });

  test('a forged X-Forwarded-For does not make a new address for pledges either', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 1000 });
    // Eight pledges from eight accounts use up the address; each claims another address.
    const statuses = [];
    for (const account of pledgers) statuses.push((await pledgeFrom(t, account, c.id, spoofed())).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 201, 429, 429]);
    expect((await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.progress.reservedUnits).toBe(8);
  });
});

describe('behind a load balancer (TRUST_PROXY=1: one proxy hop)', () => {
  let t: TestApp;
  let clock: TestClock;
  let operator: Caller;
  let factory: { id: string };
  beforeAll(async () => {
    clock = new TestClock();
    t = await startTestApp({
      clock,
      env: { TRUST_PROXY: '1', LOGIN_RATE_LIMIT_PER_15_MIN: '2', PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '3', PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '5' },
    });
    operator = await anOperator(t);
    factory = await aFactory(t, operator);
  });
  afterAll(() => t.close());

  test('a bot rotating addresses is still one account: 3 pledges a minute, across campaigns', async () => {
    const [first, second] = [
      await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 100 }),
      await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 100 }),
    ];
    const bot = await aConsumer(t);
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await pledgeFrom(t, bot, i % 2 === 0 ? first.id : second.id, { 'X-Forwarded-For': `198.51.100.${i + 1}` })).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
  });

  test('a burst of 40 pledges at once from one account on a capped launch: exactly 3 placed, the rest refused with 429, nothing else reserved', async () => {
    const launch = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 20 });
    const bot = await aConsumer(t);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => pledgeFrom(t, bot, launch.id, { 'X-Forwarded-For': `192.0.2.${i + 1}` })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(3).fill(201), ...Array(37).fill(429)]);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('too_many_pledges');
    }
    expect((await t.http.get(`/v1/campaigns/${launch.id}`).expect(200)).body.progress.reservedUnits).toBe(3);
    expect((await t.http.get('/v1/me/pledges').set(bot.auth).expect(200)).body.total).toBe(3);
  });

  test('many accounts from one real address are limited together, and another address is not held back by them', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 100 });
    const farm = await Promise.all(Array.from({ length: 7 }, () => aConsumer(t)));
    const statuses = [];
    for (const account of farm) statuses.push((await pledgeFrom(t, account, c.id, { 'X-Forwarded-For': '198.51.100.200' })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    expect((await pledgeFrom(t, await aConsumer(t), c.id, { 'X-Forwarded-For': '198.51.100.201' })).status).toBe(201);
  });

  test('a client writing its own X-Forwarded-For before the load balancer appends the real address is still one address: 8 wrong passwords, then 429', async () => {
    const victim = await aConsumer(t, { password: 'the right password' });
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(t, victim.email, `guess ${i}`, { 'X-Forwarded-For': `${spoofed()['X-Forwarded-For']}, 198.51.100.77` })).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429, 429, 429]);
  });
});

describe('behind proxies named by address (TRUST_PROXY=10.0.0.0/8,127.0.0.1)', () => {
  test('the address is the first one from the right that is not a listed proxy, whatever the client wrote before it', async () => {
    const t = await startTestApp({ env: { TRUST_PROXY: '10.0.0.0/8,127.0.0.1', LOGIN_RATE_LIMIT_PER_15_MIN: '2' } });
    try {
      const victim = await aConsumer(t, { password: 'the right password' });
      const statuses = [];
      // Two proxies: the client's address as the outer one saw it, then the outer proxy as the inner one saw it.
      for (let i = 0; i < 4; i++)
        statuses.push((await login(t, victim.email, `guess ${i}`, { 'X-Forwarded-For': `${spoofed()['X-Forwarded-For']}, 198.51.100.78, 10.1.2.3` })).status);
      expect(statuses).toEqual([401, 401, 429, 429]);
      // Another real client behind the same proxies is not held back.
      await login(t, victim.email, 'the right password', { 'X-Forwarded-For': '198.51.100.79, 10.1.2.3' }).expect(200);
    } finally {
      await t.close();
    }
  });
});
