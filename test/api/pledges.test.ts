import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { GatewayEventRow, PaymentRow } from '../../src/payments';
import { JournalEntryRow } from '../../src/ledger';
import { PledgeRow } from '../../src/pledges';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, aFactoryWorld, type Caller } from '../support/builders';
import { aDraftCampaign, anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { waitFor } from '../support/wait';

let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const black = { colour: 'black', size: 'M' };

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

const count = (entity: typeof PledgeRow | typeof PaymentRow | typeof JournalEntryRow | typeof GatewayEventRow, where: object = {}) =>
  t.db.read((tx) => tx.countBy(entity as typeof PledgeRow, where));

describe('placing a pledge', () => {
  test('answers with the pledge awaiting its deposit and the deposit payment', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const res = await pledge(t, consumer, c.id, { size: 'L', colour: 'navy' }, 3).expect(201);
    expect(res.body).toMatchObject({
      status: 'awaiting_deposit',
      variant: { colour: 'navy', size: 'L' },
      quantity: 3,
      depositPerUnit: '100.00',
      deposit: '300.00',
      depositPayment: { kind: 'deposit', amount: '300.00', status: 'pending' },
    });
    expect(new Date(res.body.depositDueAt).getTime() - clock.now().getTime()).toBeGreaterThan(14 * 60_000);
    const mine = await t.http.get('/v1/me/pledges').set(consumer.auth).expect(200);
    expect(mine.body.items.map((p: { id: string }) => p.id)).toEqual([res.body.id]);
  });

  test.each([
    ['an unknown option', { colour: 'black', size: 'M', fill: 'goose' }],
    ['a missing option', { colour: 'black' }],
    ['an unknown value', { colour: 'pink', size: 'M' }],
  ])('a variant with %s is a 400 and reserves nothing', async (_label, variant) => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const res = await pledge(t, consumer, c.id, variant, 1).expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_variant', errors: [{ path: 'body.variant' }] });
    expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.progress.reservedUnits).toBe(0);
    expect(await count(PledgeRow, { campaignId: c.id })).toBe(0);
  });

  test('a draft, a closed or a cancelled campaign takes no pledges', async () => {
    const consumer = await aConsumer(t);
    const draft = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({
        factoryId,
        title: 'Draft',
        productName: 'P',
        options: [{ name: 'size', values: ['M'] }],
        referencePrice: '10.00',
        depositRate: '0.2',
        tiers: [{ minUnits: 1, unitPrice: '10.00' }],
        opensAt: new Date().toISOString(),
        closesAt: new Date(Date.now() + 3600_000).toISOString(),
        balanceWindowHours: 1,
        expectedShipDate: '2099-01-01',
      })
      .expect(201);
    expect((await pledge(t, consumer, draft.body.id, { size: 'M' }, 1)).status).toBe(404);
    const closed = await anOpenCampaign(t, operator, factoryId, clock);
    await t.http.post(`/v1/campaigns/${closed.id}/close`).set(operator.auth).expect(200);
    expect((await pledge(t, consumer, closed.id, black, 1)).body.code).toBe('campaign_not_open');
    const cancelled = await anOpenCampaign(t, operator, factoryId, clock);
    await t.http
      .post(`/v1/campaigns/${cancelled.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `x-${cancelled.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    expect((await pledge(t, consumer, cancelled.id, black, 1)).body.code).toBe('campaign_not_open');
  });

  test('a pledge refused just before the opening is told when the campaign opens, never that it is sold out', async () => {
    // Time that moves on by a millisecond each time it is read: the moments a request reads, spread out.
    const ticking = { at: Date.now(), now: () => new Date(ticking.at++) };
    const own = await startTestApp({ clock: ticking });
    try {
      const op = await anOperator(own);
      const plant = await aFactory(own, op);
      const opensAt = ticking.at + 3600_000;
      const draft = await aDraftCampaign(own, op, plant.id, ticking as unknown as TestClock, {
        opensAt: new Date(opensAt).toISOString(),
        closesAt: new Date(opensAt + 7200_000).toISOString(),
      });
      await own.http.post(`/v1/campaigns/${draft.id}/publish`).set(op.auth).expect(200);
      const consumer = await aConsumer(own);
      const refusals = new Set<string>();
      for (let early = 1; early <= 30; early++) {
        ticking.at = opensAt - early;
        const res = await pledge(own, consumer, draft.id, black, 1);
        if (res.status !== 201) refusals.add(res.body.code);
      }
      // Refused at a moment before opensAt and then told the campaign was sold out (it has no cap), when its own check ran a moment later.
      expect([...refusals]).toEqual(['campaign_not_open']);
      await expectLedgerReconciles(own);
    } finally {
      await own.close();
    }
  });

  test('a consumer sees only their own pledges and payments', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const mine = await pledge(t, a, c.id, black, 1).expect(201);
    await t.http.get(`/v1/pledges/${mine.body.id}`).set(b.auth).expect(404);
    await t.http.get(`/v1/payments/${mine.body.depositPayment.id}`).set(b.auth).expect(404);
    await t.http.post(`/v1/payments/${mine.body.depositPayment.id}/sandbox/complete`).set(b.auth).expect(403);
    await t.http.post(`/v1/pledges/${mine.body.id}/cancel`).set(b.auth).set('Idempotency-Key', 'steal').expect(404);
    expect((await t.http.get(`/v1/pledges/${mine.body.id}`).set(a.auth).expect(200)).body.status).toBe('awaiting_deposit');
  });
});

describe('Idempotency-Key on pledges', () => {
  test('the same key twice makes one pledge and answers the same; a different body is a 422', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const first = await pledge(t, consumer, c.id, black, 2, 'pledge-key-1').expect(201);
    const again = await pledge(t, consumer, c.id, black, 2, 'pledge-key-1').expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await pledge(t, consumer, c.id, black, 3, 'pledge-key-1').expect(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await count(PledgeRow, { campaignId: c.id })).toBe(1);
  });

  test('the same key sent 20 times at once makes exactly one pledge', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const responses = await Promise.all(Array.from({ length: 20 }, () => pledge(t, consumer, c.id, black, 1, 'burst-key')));
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(new Set(responses.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1);
    expect(await count(PledgeRow, { campaignId: c.id })).toBe(1);
    expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.progress.reservedUnits).toBe(1);
  });
});

describe('gateway notifications', () => {
  const notify = (headers: Record<string, string>, body: Buffer) =>
    t.http.post('/v1/payments/notifications/sandbox').set(headers).set('Content-Type', 'application/json').send(body.toString('utf8'));

  test('a replayed or duplicated notification changes nothing', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const p = await pledge(t, consumer, c.id, black, 1).expect(201);
    const payment = {
      id: p.body.depositPayment.id,
      amount: (await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: p.body.depositPayment.id }))).amount,
    };
    const signed = t.app.services.sandbox.notification(payment, 'succeeded', clock.now());
    const entriesBefore = await count(JournalEntryRow);
    expect((await notify(signed.headers, signed.body).expect(200)).body.outcome).toBe('processed');
    expect((await notify(signed.headers, signed.body).expect(200)).body.outcome).toBe('duplicate');
    // The gateway sends the same news again under a new event id.
    const resent = t.app.services.sandbox.notification(payment, 'succeeded', clock.now());
    expect((await notify(resent.headers, resent.body).expect(200)).body.outcome).toBe('already_settled');
    // A late "failed" for a payment that succeeded changes nothing either.
    const contradicting = t.app.services.sandbox.notification(payment, 'failed', clock.now());
    expect((await notify(contradicting.headers, contradicting.body).expect(200)).body.outcome).toBe('already_settled');
    expect(await count(JournalEntryRow)).toBe(entriesBefore + 1);
    expect((await t.http.get(`/v1/pledges/${p.body.id}`).set(consumer.auth)).body.status).toBe('active');
  });

  test('ten copies of one notification at once are processed once', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const p = await pledge(t, consumer, c.id, black, 2).expect(201);
    const signed = t.app.services.sandbox.notification(
      { id: p.body.depositPayment.id, amount: (await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: p.body.depositPayment.id }))).amount },
      'succeeded',
      clock.now(),
    );
    const entriesBefore = await count(JournalEntryRow);
    const outcomes = (await Promise.all(Array.from({ length: 10 }, () => notify(signed.headers, signed.body)))).map((r) => r.body.outcome);
    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);
    expect(await count(JournalEntryRow)).toBe(entriesBefore + 1);
  });

  test('a bad signature, an old timestamp or an unknown provider is refused and changes nothing (money we did not ask for: unexpected-payments.test.ts)', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const p = await pledge(t, consumer, c.id, black, 1).expect(201);
    const row = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: p.body.depositPayment.id }));
    const sandbox = t.app.services.sandbox;
    const good = sandbox.notification(row, 'succeeded', clock.now());
    const eventsBefore = await count(GatewayEventRow);

    const tampered = Buffer.from(good.body.toString().replace('"100.00"', '"1.00"'));
    expect((await notify(good.headers, tampered).expect(401)).body.code).toBe('invalid_signature');
    const forged = { ...good.headers, 'x-sandbox-signature': good.headers['x-sandbox-signature'].replace(/v1=.{4}/, 'v1=0000') };
    expect((await notify(forged, good.body).expect(401)).body.code).toBe('invalid_signature');
    expect((await notify({ 'content-type': 'application/json' }, good.body).expect(401)).body.code).toBe('invalid_signature');
    const old = sandbox.notification(row, 'succeeded', new Date(clock.now().getTime() - 6 * 60_000));
    expect((await notify(old.headers, old.body).expect(401)).body.code).toBe('stale_notification');
    const future = sandbox.notification(row, 'succeeded', new Date(clock.now().getTime() + 6 * 60_000));
    expect((await notify(future.headers, future.body).expect(401)).body.code).toBe('stale_notification');
    await t.http.post('/v1/payments/notifications/paypal').set(good.headers).send(good.body.toString('utf8')).expect(404);
    const unsigned = Buffer.from('{"not": "an event"}');
    expect(
      (await notify({ 'content-type': 'application/json', 'x-sandbox-signature': sandbox.sign(unsigned, clock.now()) }, unsigned).expect(400)).body.code,
    ).toBe('validation_failed');
    // Signed, but its amount a number: the 400 names the field, as a route's validation does.
    const numeric = Buffer.from(good.body.toString().replace('"100.00"', '100'));
    const refused = await notify({ 'content-type': 'application/json', 'x-sandbox-signature': sandbox.sign(numeric, clock.now()) }, numeric).expect(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', errors: expect.arrayContaining([expect.objectContaining({ path: 'body.amount' })]) });

    expect(await count(GatewayEventRow)).toBe(eventsBefore);
    expect((await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: row.id }))).status).toBe('pending');
    expect((await notify(good.headers, good.body).expect(200)).body.outcome).toBe('processed');
  });
});

describe('a spike of pledges', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // 1,000 connections open at once: Node's default listen backlog (511) overflows when the machine is
    // busy, and the kernel then resets connections it never handed to the server. Room for all of them.
    server = t.app.http.listen(0, '127.0.0.1', 2048);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('1,000 pledges at once against a cap of 500: exactly 500 units reserved, the rest a clear 409, per-consumer limits held', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, { maxUnits: 500, perConsumerLimit: 3, tiers: [{ minUnits: 100, unitPrice: '899.00' }] });
    const consumers: Caller[] = [];
    for (let i = 0; i < 250; i += 25) consumers.push(...(await Promise.all(Array.from({ length: 25 }, () => aConsumer(t)))));
    // 250 consumers × 4 requests of 1 unit = 1,000 requests, all sent before any is answered.
    const requests = consumers.flatMap((consumer) => Array.from({ length: 4 }, (_, i) => ({ consumer, key: `${consumer.userId}-${i}` })));
    const responses = await Promise.all(
      requests.map(async ({ consumer, key }) => {
        const res = await fetch(`${base}/v1/campaigns/${c.id}/pledges`, {
          method: 'POST',
          headers: { ...consumer.auth, 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify({ variant: black, quantity: 1 }),
        });
        return { consumer, status: res.status, body: (await res.json()) as { code?: string; id?: string; depositPayment?: { id: string } } };
      }),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(500);
    expect(statuses.filter((s) => s === 409)).toHaveLength(500);
    expect(new Set(responses.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual(new Set(['campaign_sold_out', 'per_consumer_limit']));
    const perConsumer = new Map<string, number>();
    for (const r of responses.filter((x) => x.status === 201)) perConsumer.set(r.consumer.userId, (perConsumer.get(r.consumer.userId) ?? 0) + 1);
    expect(Math.max(...perConsumer.values())).toBeLessThanOrEqual(3);

    const campaign = (await t.http.get(`/v1/campaigns/${c.id}`)).body;
    expect(campaign.progress).toMatchObject({ reservedUnits: 500, remainingUnits: 0 });
    expect(await count(PledgeRow, { campaignId: c.id })).toBe(500);

    // Every deposit paid: the ledger holds exactly 500 × 100.00.
    const accepted = responses.filter((r) => r.status === 201);
    for (let i = 0; i < accepted.length; i += 50) {
      await Promise.all(
        accepted
          .slice(i, i + 50)
          .map((r) =>
            fetch(`${base}/v1/payments/${r.body.depositPayment!.id}/sandbox/complete`, { method: 'POST', headers: operator.auth }).then((res) =>
              expect(res.status).toBe(200),
            ),
          ),
      );
    }
    const held = await t.db.read((tx) => t.app.services.ledger.balance(tx, `held_deposits:${c.id}`));
    expect(held.negated().toFixed(2)).toBe('50000.00');
    expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.progress).toMatchObject({ paidUnits: 500, pledgers: perConsumer.size });
  }, 120_000);
});

describe('sandbox auto-confirm (the demo and the benchmark)', () => {
  test('a pledge turns active by itself, through the signed-notification path, and the ledger agrees', async () => {
    const auto = await startTestApp({ env: { SANDBOX_AUTO_CONFIRM: 'true' } });
    try {
      const autoOperator = await anOperator(auto);
      const autoFactory = await aFactory(auto, autoOperator);
      const c = await anOpenCampaign(auto, autoOperator, autoFactory.id, new TestClock());
      const consumer = await aConsumer(auto);
      const placed = await pledge(auto, consumer, c.id, black, 2).expect(201);
      expect(placed.body.status).toBe('awaiting_deposit');
      await waitFor(
        async () => (await auto.http.get(`/v1/pledges/${placed.body.id}`).set(consumer.auth)).body.status === 'active',
        5000,
        'the deposit to be confirmed',
      );
      expect(await auto.db.read((tx) => tx.countBy(GatewayEventRow, { paymentId: placed.body.depositPayment.id }))).toBe(1);
      await expectLedgerReconciles(auto);
    } finally {
      await auto.close();
    }
  });
});

describe('the sandbox test routes', () => {
  const payment = '00000000-0000-4000-8000-000000000001';

  test.each(['test', 'development'])('do not exist unless switched on (NODE_ENV=%s)', async (nodeEnv) => {
    // SANDBOX_TEST_ROUTES is unset (an empty variable counts as unset); TEST_ENV switches it on for the other tests.
    const plain = await startTestApp({ env: { NODE_ENV: nodeEnv, SANDBOX_TEST_ROUTES: '' } });
    try {
      const plainOperator = await anOperator(plain);
      for (const outcome of ['complete', 'fail']) {
        expect((await plain.http.post(`/v1/payments/${payment}/sandbox/${outcome}`).set(plainOperator.auth).expect(404)).body.code).toBe('route_not_found');
      }
      expect(plain.app.routes.some((r) => r.path.includes('/sandbox/'))).toBe(false);
    } finally {
      await plain.close();
    }
  });

  test('when switched on, a consumer cannot mark their own payment as received; an operator can', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const mine = await pledge(t, consumer, c.id, black, 1).expect(201);
    for (const outcome of ['complete', 'fail']) {
      expect((await t.http.post(`/v1/payments/${mine.body.depositPayment.id}/sandbox/${outcome}`).set(consumer.auth).expect(403)).body.code).toBe('forbidden');
    }
    expect((await t.http.get(`/v1/payments/${mine.body.depositPayment.id}`).set(consumer.auth).expect(200)).body.status).toBe('pending');
    expect((await t.http.get(`/v1/pledges/${mine.body.id}`).set(consumer.auth).expect(200)).body.status).toBe('awaiting_deposit');
    const done = await t.http.post(`/v1/payments/${mine.body.depositPayment.id}/sandbox/complete`).set(operator.auth).expect(200);
    expect(done.body).toMatchObject({ outcome: 'processed', payment: { status: 'succeeded' } });
    expect((await t.http.get(`/v1/pledges/${mine.body.id}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  });

  test('never exist in production, and asking for them there is refused at start-up', async () => {
    // The test app switches the demo's checkout sheet on; production refuses it as well (unset here, then asked for below).
    const production = { NODE_ENV: 'production', AUTH_SECRET: 'a-production-secret-of-at-least-32-chars', SEED_DEMO_DATA: 'false', SANDBOX_CHECKOUT: '' };
    await expect(startTestApp({ env: { ...production, SANDBOX_TEST_ROUTES: 'true' } })).rejects.toThrow(/SANDBOX_TEST_ROUTES: .*not in production/);
    await expect(startTestApp({ env: { ...production, SANDBOX_TEST_ROUTES: '', SANDBOX_CHECKOUT: 'true' } })).rejects.toThrow(
      /SANDBOX_CHECKOUT: .*not in production/,
    );
    const prod = await startTestApp({ env: { ...production, SANDBOX_TEST_ROUTES: '' } });
    try {
      const prodOperator = await anOperator(prod);
      const res = await prod.http.post(`/v1/payments/${payment}/sandbox/complete`).set(prodOperator.auth).expect(404);
      expect(res.body.code).toBe('route_not_found');
      expect(prod.app.routes.some((r) => r.path.includes('/sandbox'))).toBe(false);
    } finally {
      await prod.close();
    }
  });
});
