import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import { TestClock, advance } from '../support/clock';

/**
 * The sandbox's auto-confirm (demo and benchmarks) plays a provider that sends its notification until
 * it is taken: a confirmation lost on the way, or that fails, is delivered again by the payment's job.
 */
let t: TestApp;
const clock = new TestClock();

beforeAll(async () => {
  t = await startTestApp({ clock, env: { SANDBOX_AUTO_CONFIRM: 'true' } });
});
afterAll(() => t.close());

test('a confirmation lost on the way, and again on its first retry, is delivered by its job: the deposit is received once', async () => {
  const operator = await anOperator(t);
  const factory = await aFactory(t, operator);
  const c = await anOpenCampaign(t, operator, factory.id, clock);
  const consumer = await aConsumer(t);
  t.app.services.sandbox.loseNextNotifications(2);
  const placed = await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201);
  const pledgeNow = () =>
    t.http
      .get(`/v1/pledges/${placed.body.id}`)
      .set(consumer.auth)
      .expect(200)
      .then((r) => r.body);
  expect((await pledgeNow()).status).toBe('awaiting_deposit');

  // The job comes due a few seconds on; its first delivery is lost too, and its retry goes through.
  await advance(t, clock, 6000);
  expect(await pledgeNow()).toMatchObject({ status: 'active', payments: [{ kind: 'deposit', status: 'succeeded' }] });
  const notices = (await t.http.get('/v1/me/notifications?limit=100').set(consumer.auth).expect(200)).body.items as { kind: string }[];
  expect(notices.filter((n) => n.kind === 'deposit_received')).toHaveLength(1);
  await expectLedgerReconciles(t);
});

test('a confirmation that went through at once is not sent again by its job', async () => {
  const operator = await anOperator(t);
  const factory = await aFactory(t, operator);
  const c = await anOpenCampaign(t, operator, factory.id, clock);
  const consumer = await aConsumer(t);
  const placed = await pledge(t, consumer, c.id, { colour: 'navy', size: 'L' }, 1).expect(201);
  const received = async () =>
    ((await t.http.get('/v1/me/notifications?limit=100').set(consumer.auth).expect(200)).body.items as { kind: string }[]).filter(
      (n) => n.kind === 'deposit_received',
    );
  await advance(t, clock, 6000);
  expect((await t.http.get(`/v1/pledges/${placed.body.id}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  expect(await received()).toHaveLength(1);
  await expectLedgerReconciles(t);
});
