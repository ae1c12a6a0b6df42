import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, pledge } from '../support/campaigns';
import { TestClock } from '../support/clock';

/** A bot cannot buy out a capped launch: pledges are limited per account and per client address. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;

beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock, env: { PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: '3', PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '5' } });
  operator = await anOperator(t);
});
afterAll(() => t.close());

test('the 4th pledge of one account in a minute, and the 6th from one address, get a 429 problem and reserve nothing', async () => {
  const factory = await aFactory(t, operator);
  const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 100 });
  const [bot, other] = await Promise.all([aConsumer(t), aConsumer(t)]);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await pledge(t, bot, c.id, { colour: 'black', size: 'M' }, 1)).status);
  expect(statuses).toEqual([201, 201, 201, 429]);
  const refused = await pledge(t, bot, c.id, { colour: 'black', size: 'M' }, 1).expect(429);
  expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(refused.body).toMatchObject({ status: 429, code: 'too_many_pledges' });
  expect(refused.headers['ratelimit-policy']).toBeDefined();

  // The address has made 5 attempts: another account from it is limited too.
  expect((await pledge(t, other, c.id, { colour: 'navy', size: 'L' }, 1)).status).toBe(429);
  const campaign = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
  expect(campaign.progress.reservedUnits).toBe(3);
});
