import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { PledgeRow } from '../../src/pledges';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import { type TestClock, advance } from '../support/clock';

/**
 * A retry with the same Idempotency-Key always gets what its first attempt made. A stored answer is
 * replayed without counting against the rate limits; and where the first attempt committed but its
 * answer was lost (its process or connection died before the key was completed), no check that has
 * turned since (the per-consumer limit, the cap, the window, the rate limit, the start date) refuses
 * the retry: it gets the record its first attempt made.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const black = { colour: 'black', size: 'M' };
const PER_ACCOUNT = 3;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld({
    env: { PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: String(PER_ACCOUNT), PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: '1000' },
  }));
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

/**
 * The first attempt of a pledge request committed, and its answer was lost before the key was recorded
 * (the idempotency record released, as after a dropped connection): the pledge is there under the
 * record id the key gives.
 */
const committedButAnswerLost = (consumer: Caller, campaignId: string, quantity: number, key: string) =>
  t.app.services.pledges.placement.create(
    { role: 'consumer', userId: consumer.userId },
    campaignId,
    { variant: black, quantity },
    t.app.services.idempotency.recordId(`user:${consumer.userId}`, key),
  );
const pledgesOf = (consumer: Caller, campaignId: string) => t.db.read((tx) => tx.findBy(PledgeRow, { userId: consumer.userId, campaignId }));

describe('rate limits', () => {
  test('replays of a stored answer are answered, not counted: a client retrying after a network error gets its pledge, not a 429', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const keys = Array.from({ length: PER_ACCOUNT }, () => randomUUID());
    const answers = [];
    for (const key of keys) answers.push((await pledge(t, consumer, c.id, black, 1, key).expect(201)).body);
    // Every answer was lost on the way; the client retries each, twice.
    for (let round = 0; round < 2; round++) {
      for (const [i, key] of keys.entries()) {
        const again = await pledge(t, consumer, c.id, black, 1, key).expect(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(answers[i]);
      }
    }
    // A new pledge is still limited, and a replay after that refusal still answered.
    expect((await pledge(t, consumer, c.id, black, 1)).body.code).toBe('too_many_pledges');
    await pledge(t, consumer, c.id, black, 1, keys[0]).expect(201);
    expect(await pledgesOf(consumer, c.id)).toHaveLength(PER_ACCOUNT);
  });

  test('a retry of a pledge that committed but lost its answer gets the pledge even when the account is at its limit', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const key = randomUUID();
    const made = await committedButAnswerLost(consumer, c.id, 1, key);
    for (let i = 0; i < PER_ACCOUNT; i++) await pledge(t, consumer, c.id, black, 1).expect(201);
    const retry = await pledge(t, consumer, c.id, black, 1, key).expect(201);
    expect(retry.body).toMatchObject({ id: made.pledge.id, status: 'awaiting_deposit', depositPayment: { id: made.payment.id } });
    expect(await pledgesOf(consumer, c.id)).toHaveLength(PER_ACCOUNT + 1);
  });
});

describe('checks that have turned since the first attempt', () => {
  test('the per-consumer limit: the retry gets the pledge it made, not 409 per_consumer_limit', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, { perConsumerLimit: 2 });
    const consumer = await aConsumer(t);
    const key = randomUUID();
    const made = await committedButAnswerLost(consumer, c.id, 2, key);
    const retry = await pledge(t, consumer, c.id, black, 2, key).expect(201);
    expect(retry.body).toMatchObject({ id: made.pledge.id, quantity: 2, payments: [{ id: made.payment.id, kind: 'deposit' }] });
    // The same key for another request is still refused, and nothing more is pledged.
    expect((await pledge(t, consumer, c.id, black, 1, key)).body.code).toBe('idempotency_key_reused');
    expect((await pledge(t, consumer, c.id, black, 1)).body.code).toBe('per_consumer_limit');
    expect(await pledgesOf(consumer, c.id)).toHaveLength(1);
  });

  test('the cap: the retry of the pledge that took the last units gets it, not 409 campaign_sold_out', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, { maxUnits: 3 });
    const consumer = await aConsumer(t);
    const key = randomUUID();
    const made = await committedButAnswerLost(consumer, c.id, 3, key);
    expect((await pledge(t, consumer, c.id, black, 3, key).expect(201)).body.id).toBe(made.pledge.id);
    expect(await pledgesOf(consumer, c.id)).toHaveLength(1);
  });

  test('the window: a retry after the campaign closed gets the pledge, not 409 campaign_not_open', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, {
      perConsumerLimit: 2,
      closesAt: new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
    });
    const consumer = await aConsumer(t);
    const key = randomUUID();
    const made = await committedButAnswerLost(consumer, c.id, 1, key);
    await advance(t, clock, 31 * 60_000);
    expect((await pledge(t, consumer, c.id, black, 1, key).expect(201)).body.id).toBe(made.pledge.id);
    expect((await pledge(t, consumer, c.id, black, 1)).body.code).toBe('campaign_not_open');
  });

  test("a subscription's start date: a retry the next day gets the subscription, not 400", async () => {
    const consumer = await aConsumer(t);
    const today = DateTime.fromJSDate(clock.now(), { zone: 'Asia/Shanghai' }).toISODate()!;
    const body = { planId: 'weekly-family', startDate: today, deliveryWeekday: 6, region: 'shanghai', householdSize: 3, exclusions: [] };
    const key = randomUUID();
    const made = await t.app.services.subscriptions.lifecycle.create(
      { role: 'consumer', userId: consumer.userId },
      body,
      t.app.services.idempotency.recordId(`user:${consumer.userId}`, key),
    );
    clock.offsetMs += 86_400_000;
    const retry = await t.http.post('/v1/subscriptions').set(consumer.auth).set('Idempotency-Key', key).send(body).expect(201);
    expect(retry.body.id).toBe(made.subscription.id);
    expect((await t.http.post('/v1/subscriptions').set(consumer.auth).set('Idempotency-Key', randomUUID()).send(body).expect(400)).body.errors).toEqual([
      expect.objectContaining({ path: 'body.startDate' }),
    ]);
  });
});
