import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { deliveryDates, firstDeliveryOn } from '../../src/subscriptions/deliveries';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, anOperator, type Caller } from '../support/builders';
import { TestClock, runDue } from '../support/clock';
import { familyOfThree as familyBox } from '../support/subscriptions';

/** Fruit-box subscriptions through HTTP: catalogue, subscribing, the schedule, skip / pause / resume / cancel around the cutoff. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;

beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
});
afterAll(() => t.close());

/** Moves the test clock to a moment China time (tests run at any real date). */
const setChinaTime = (iso: string) => {
  clock.offsetMs = DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toMillis() - Date.now();
};

type Delivery = {
  deliveryDate: string;
  shipDate: string;
  cutoffAt: string;
  status: string;
  box: null | {
    items: { fruitId: string; units: number }[];
    readyToEat: { date: string; neededPortions: number; plannedPortions: number }[];
    uncoveredDays: { date: string; reason: string }[];
  };
};
const subscribe = (consumer: Caller, body: object) => t.http.post('/v1/subscriptions').set(consumer.auth).set('Idempotency-Key', randomUUID()).send(body);
const schedule = (consumer: Caller, id: string, weeks = 4) =>
  t.http
    .get(`/v1/subscriptions/${id}/schedule?weeks=${weeks}`)
    .set(consumer.auth)
    .expect(200)
    .then((r) => r.body.deliveries as Delivery[]);
const fruits = async () => (await t.http.get('/v1/fruits').expect(200)).body.items as { id: string; seasons: { months: number[] }[]; readyToEat: boolean }[];
const familyOfThree = (overrides: object = {}) => familyBox(clock, overrides);

/** Every day of a box is covered, or named as uncovered: never a silent gap. */
function expectEveryDayAccountedFor(delivery: Delivery): void {
  const box = delivery.box!;
  expect(box.readyToEat).toHaveLength(7);
  for (const day of box.readyToEat) {
    const named = box.uncoveredDays.some((u) => u.date === day.date);
    expect({ date: day.date, ok: day.plannedPortions >= day.neededPortions || named }).toEqual({ date: day.date, ok: true });
  }
}

describe('catalogue and plans', () => {
  test('at least 20 fruits with names, ripening and seasons; weekly and fortnightly plans, small and family', async () => {
    const items = await fruits();
    expect(items.length).toBeGreaterThanOrEqual(20);
    expect(items.find((f) => f.id === 'mango')).toMatchObject({
      nameZh: '芒果',
      readyToEat: false,
      ethylene: expect.any(Object),
      unitCost: expect.stringMatching(/^\d+\.\d\d$/),
    });
    const plans = (await t.http.get('/v1/subscription-plans').expect(200)).body.items;
    expect(plans.map((p: { period: string; maxHousehold: number }) => `${p.period}/${p.maxHousehold}`).sort()).toEqual([
      'fortnightly/2',
      'fortnightly/5',
      'weekly/2',
      'weekly/5',
    ]);
  });

  test('operators edit a fruit; others may not; bad edits are refused', async () => {
    await t.http.patch('/v1/fruits/banana').set(operator.auth).send({ unitCost: '2.40' }).expect(200);
    expect((await fruits()).find((f) => f.id === 'banana')).toMatchObject({ unitCost: '2.40' });
    await t.http
      .patch('/v1/fruits/banana')
      .set((await aConsumer(t)).auth)
      .send({ unitCost: '0.01' })
      .expect(403);
    await t.http.patch('/v1/fruits/banana').set(operator.auth).send({ ripeningMinDays: 9, ripeningMaxDays: 2 }).expect(400);
    await t.http.patch('/v1/fruits/no-such-fruit').set(operator.auth).send({ active: false }).expect(404);
    expect((await fruits()).find((f) => f.id === 'banana')).toMatchObject({ unitCost: '2.40', ripeningDays: expect.not.arrayContaining([9]) });
  });

  test('a burst of fruit edits schedules one planning run, at the start of the next minute', async () => {
    setChinaTime('2027-05-01T10:00:10');
    for (const unitCost of ['2.50', '2.60', '2.70']) await t.http.patch('/v1/fruits/banana').set(operator.auth).send({ unitCost }).expect(200);
    const runs = (await t.db.read((tx) =>
      tx.query("SELECT next_run_at FROM jobs WHERE name = 'subscriptions.plan-ahead' AND dedupe_key LIKE '%after-fruit-edits%'"),
    )) as { next_run_at: string | Date }[];
    const at = (v: string | Date) => new Date(v instanceof Date ? v : `${v.replace(' ', 'T')}Z`).toISOString();
    const nextMinute = DateTime.fromISO('2027-05-01T10:01:00', { zone: 'Asia/Shanghai' }).toUTC().toISO();
    expect(runs.map((r) => at(r.next_run_at)).filter((when) => when === nextMinute)).toHaveLength(1);
  });
});

describe('a family of three on a weekly plan', () => {
  test.each([
    ['July', '2027-07-05T09:00', ['mango', 'lychee', 'peach']],
    ['November', '2027-11-08T09:00', ['kiwi', 'persimmon', 'apple']],
  ])('in %s: every box in season, every day covered or named, exclusions respected', async (_month, now, seasonal) => {
    setChinaTime(now);
    const consumer = await aConsumer(t);
    const created = await subscribe(consumer, familyOfThree()).expect(201);
    const deliveries = await schedule(consumer, created.body.id);
    expect(deliveries).toHaveLength(4);
    const catalogue = await fruits();
    for (const d of deliveries) {
      expect(d.status).toBe('planned');
      expectEveryDayAccountedFor(d);
      // In season in the month of the box's ship date (the fourth November box ships in December).
      const month = Number(d.shipDate.slice(5, 7));
      for (const item of d.box!.items) expect(catalogue.find((f) => f.id === item.fruitId)!.seasons.some((s) => s.months.includes(month))).toBe(true);
    }
    const packed = new Set(deliveries.flatMap((d) => d.box!.items.map((i) => i.fruitId)));
    expect(seasonal.some((f) => packed.has(f))).toBe(true);

    const excluding = await subscribe(consumer, familyOfThree({ exclusions: seasonal })).expect(201);
    for (const d of await schedule(consumer, excluding.body.id)) {
      expectEveryDayAccountedFor(d);
      for (const item of d.box!.items) expect(seasonal).not.toContain(item.fruitId);
    }
  });

  test('excluding every fruit ready on arrival names the first days as uncovered, never a silent gap', async () => {
    setChinaTime('2027-11-08T09:00');
    const consumer = await aConsumer(t);
    const readyToEat = (await fruits()).filter((f) => f.readyToEat).map((f) => f.id);
    const created = await subscribe(consumer, familyOfThree({ exclusions: readyToEat })).expect(201);
    const [first] = await schedule(consumer, created.body.id, 1);
    expect(first.box!.uncoveredDays.map((u) => u.date)).toContain(first.deliveryDate);
    expect(first.box!.uncoveredDays.find((u) => u.date === first.deliveryDate)!.reason).toBe('nothing_ready');
    expectEveryDayAccountedFor(first);
  });
});

describe('changes around the cutoff', () => {
  let consumer: Caller;
  let id: string;
  let deliveries: Delivery[];
  beforeAll(async () => {
    setChinaTime('2027-03-01T09:00');
    consumer = await aConsumer(t);
    id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    deliveries = await schedule(consumer, id);
  });

  test('the schedule gives ship date (delivery − transit) and cutoff (two days before shipping, 20:00 China time)', () => {
    const [first] = deliveries;
    expect(first.deliveryDate).toBe('2027-03-06');
    expect(first.shipDate).toBe('2027-03-05');
    expect(first.cutoffAt).toBe(DateTime.fromISO('2027-03-03T20:00', { zone: 'Asia/Shanghai' }).toUTC().toISO());
  });

  test('a skip before the cutoff is accepted (twice is fine); after it, a clear 409', async () => {
    await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: deliveries[1].deliveryDate }).expect(200);
    await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: deliveries[1].deliveryDate }).expect(200);
    expect((await schedule(consumer, id))[1].status).toBe('skipped');
    await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: '2027-03-07' }).expect(400);
    // More than a year ahead: refused with its reason, nothing kept.
    const far = await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: '2099-12-26' }).expect(400);
    expect(far.body.errors).toEqual([expect.objectContaining({ path: 'body.deliveryDate', reason: 'too_far_ahead', limit: 365 })]);

    setChinaTime('2027-03-03T20:00:01');
    const late = await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: deliveries[0].deliveryDate }).expect(409);
    expect(late.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(late.body).toMatchObject({ code: 'past_cutoff', detail: expect.stringContaining('2027-03-06') });
    expect((await schedule(consumer, id))[0].status).not.toBe('skipped');
  });

  test('a pause across a cutoff keeps the box already locked and pauses the rest; resume brings them back', async () => {
    setChinaTime('2027-03-03T21:00');
    const refused = await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ from: '2027-03-06', until: '2027-04-01' }).expect(409);
    expect(refused.body.code).toBe('past_cutoff');
    await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ until: '2027-03-27' }).expect(200);
    const paused = await schedule(consumer, id);
    expect(paused.map((d) => [d.deliveryDate, d.status])).toEqual([
      ['2027-03-06', 'planned'],
      ['2027-03-13', 'skipped'],
      ['2027-03-20', 'paused'],
      ['2027-03-27', 'planned'],
    ]);
    await t.http.post(`/v1/subscriptions/${id}/resume`).set(consumer.auth).expect(200);
    expect((await schedule(consumer, id)).map((d) => d.status)).toEqual(['planned', 'skipped', 'planned', 'planned']);
  });

  test('the planning job run twice builds one box per subscription and date', async () => {
    const count = () =>
      t.db
        .read((tx) => tx.query('SELECT COUNT(*) AS n FROM fruit_boxes WHERE subscription_id = ?', [id]))
        .then((r: { n: number | string }[]) => Number(r[0].n));
    const before = await count();
    await t.app.services.subscriptions.planning.planAhead();
    await t.app.services.subscriptions.planning.planAhead();
    expect(await count()).toBe(before);
  });

  test('someone else cannot see or change the subscription; bad input changes nothing', async () => {
    const stranger = await aConsumer(t);
    await t.http.get(`/v1/subscriptions/${id}`).set(stranger.auth).expect(404);
    await t.http.get(`/v1/subscriptions/${id}/schedule`).set(stranger.auth).expect(404);
    await t.http.post(`/v1/subscriptions/${id}/skip`).set(stranger.auth).send({ deliveryDate: '2027-03-20' }).expect(404);
    await t.http.post(`/v1/subscriptions/${id}/cancel`).set(stranger.auth).expect(404);
    const bad = await subscribe(
      stranger,
      familyOfThree({ planId: 'weekly-small', householdSize: 3, region: 'atlantis', exclusions: ['durian-x'], startDate: '2020-01-01' }),
    ).expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.exclusions.0', 'body.householdSize', 'body.region', 'body.startDate']);
    expect((await t.http.get('/v1/me/subscriptions').set(stranger.auth).expect(200)).body.total).toBe(0);
  });

  test('cancel: boxes before their cutoff are dropped, the locked one still comes', async () => {
    await t.http.post(`/v1/subscriptions/${id}/cancel`).set(consumer.auth).expect(200);
    const boxes = (await t.db.read((tx) =>
      tx.query('SELECT delivery_date, status FROM fruit_boxes WHERE subscription_id = ? ORDER BY delivery_date', [id]),
    )) as { delivery_date: string; status: string }[];
    expect(boxes.find((b) => b.delivery_date === '2027-03-06')!.status).not.toBe('cancelled');
    expect(boxes.filter((b) => b.delivery_date > '2027-03-06').every((b) => b.status === 'cancelled')).toBe(true);
    await t.http.post(`/v1/subscriptions/${id}/resume`).set(consumer.auth).expect(409);
    await runDue(t, clock);
  });
});

describe('dates more than a year ahead', () => {
  // Today is Monday 3 May 2027 (China time): 365 days ahead is Tuesday 2 May 2028 (2028 is a leap year).
  const statuses = async (consumer: Caller, id: string) => (await schedule(consumer, id, 4)).map((d) => [d.deliveryDate, d.status]);

  test.each(['2028-05-03', '2099-12-31', '9999-12-31'])('a start date of %s is refused at once with its reason, and nothing is created', async (startDate) => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const began = Date.now();
    const refused = await subscribe(consumer, familyOfThree({ startDate })).expect(400);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(refused.body.errors).toEqual([{ path: 'body.startDate', message: expect.stringContaining('2028-05-02'), reason: 'too_far_ahead', limit: 365 }]);
    expect((await t.http.get('/v1/me/subscriptions').set(consumer.auth).expect(200)).body.total).toBe(0);
  });

  test('the delivery calendar ends its loops on its own: a first delivery past the year 9999 has no delivery in 2027', () => {
    // Such a date prints as "+010000-01-01", which sorts before every YYYY-MM-DD: compared as strings, the loop never ended.
    const first = firstDeliveryOn('9999-12-31', 6, 1, new Date('2027-03-01T01:00:00Z'));
    expect(first).toBe('+010000-01-01');
    expect(deliveryDates({ firstDeliveryDate: first }, 7, '2027-03-01', '2027-03-29')).toEqual([]);
    expect(deliveryDates({ firstDeliveryDate: '2027-03-06' }, 7, '2027-03-01', '2027-03-29')).toEqual(['2027-03-06', '2027-03-13', '2027-03-20', '2027-03-27']);
  });

  test('a start date 365 days ahead is accepted: its first delivery is the first delivery weekday from then', async () => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const created = await subscribe(consumer, familyOfThree({ startDate: '2028-05-02' })).expect(201);
    expect(created.body).toMatchObject({ firstDeliveryDate: '2028-05-06', nextDeliveryDate: '2028-05-06' });
  });

  test.each(['2028-05-03', '2099-12-31', '9999-12-25'])('a pause until %s is refused at once with its reason, and changes nothing', async (until) => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    const began = Date.now();
    const refused = await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ until }).expect(400);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(refused.body.errors).toEqual([{ path: 'body.until', message: expect.stringContaining('2028-05-02'), reason: 'too_far_ahead', limit: 365 }]);
    expect((await t.http.get(`/v1/subscriptions/${id}`).set(consumer.auth).expect(200)).body).toMatchObject({
      status: 'active',
      pausedFrom: null,
      pausedUntil: null,
    });
    expect((await statuses(consumer, id)).map(([, status]) => status)).toEqual(['planned', 'planned', 'planned', 'planned']);
  });

  test('a pause until 365 days ahead pauses every box of the horizon, and ends on that day', async () => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    const paused = await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ until: '2028-05-02' }).expect(200);
    expect(paused.body).toMatchObject({ status: 'paused', pausedFrom: '2027-05-08', pausedUntil: '2028-05-02', nextDeliveryDate: '2028-05-06' });
    expect((await statuses(consumer, id)).map(([, status]) => status)).toEqual(['paused', 'paused', 'paused', 'paused']);
    const boxes = (await t.db.read((tx) => tx.query('SELECT status, cancel_reason FROM fruit_boxes WHERE subscription_id = ?', [id]))) as object[];
    expect(boxes).toEqual(boxes.map(() => ({ status: 'cancelled', cancel_reason: 'paused' })));
  });
});

describe('pausing again', () => {
  const pause = (consumer: Caller, id: string, body: object) => t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send(body).expect(200);
  const statuses = async (consumer: Caller, id: string) => (await schedule(consumer, id, 4)).map((d) => [d.deliveryDate, d.status]);

  test('a shorter pause brings back at once, planned, the boxes the longer one had paused', async () => {
    setChinaTime('2027-06-07T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id; // Saturdays from 12 June
    await pause(consumer, id, { until: '2027-07-03' });
    expect(await statuses(consumer, id)).toEqual([
      ['2027-06-12', 'paused'],
      ['2027-06-19', 'paused'],
      ['2027-06-26', 'paused'],
      ['2027-07-03', 'planned'],
    ]);
    const shorter = await pause(consumer, id, { until: '2027-06-13' });
    expect(shorter.body).toMatchObject({ pausedFrom: '2027-06-12', pausedUntil: '2027-06-13', nextDeliveryDate: '2027-06-19' });
    expect(await statuses(consumer, id)).toEqual([
      ['2027-06-12', 'paused'],
      ['2027-06-19', 'planned'],
      ['2027-06-26', 'planned'],
      ['2027-07-03', 'planned'],
    ]);
  });

  test('a pause moved later: the deliveries before it come, and the answer says so', async () => {
    setChinaTime('2027-06-07T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    await pause(consumer, id, { until: '2027-06-20' }); // 12 and 19 June
    const moved = await pause(consumer, id, { from: '2027-06-26', until: '2027-07-04' }); // 26 June and 3 July
    expect(moved.body).toMatchObject({ status: 'active', pausedFrom: '2027-06-26', nextDeliveryDate: '2027-06-12' });
    expect(await statuses(consumer, id)).toEqual([
      ['2027-06-12', 'planned'],
      ['2027-06-19', 'planned'],
      ['2027-06-26', 'paused'],
      ['2027-07-03', 'paused'],
    ]);
  });

  test('a box a second pause released is locked and charged at its cutoff, with no planning run in between', async () => {
    setChinaTime('2027-06-07T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    await pause(consumer, id, { until: '2027-06-20' }); // 12 and 19 June
    await pause(consumer, id, { from: '2027-06-19', until: '2027-06-20' }); // the 19th only
    // The 12 June box ships on the 11th: its cutoff is Wednesday 9 June 20:00.
    setChinaTime('2027-06-09T20:30');
    await t.app.services.boxCharges.lockDue();
    const boxes = (await t.db.read((tx) =>
      tx.query('SELECT delivery_date, status, cancel_reason FROM fruit_boxes WHERE subscription_id = ? AND delivery_date < ? ORDER BY delivery_date', [
        id,
        '2027-06-26',
      ]),
    )) as object[];
    expect(boxes).toEqual([
      { delivery_date: '2027-06-12', status: 'locked', cancel_reason: null },
      { delivery_date: '2027-06-19', status: 'cancelled', cancel_reason: 'paused' },
    ]);
  });
});

describe('every refused field says why, by a reason clients translate', () => {
  const reasons = (body: { errors: { path: string; reason?: string; limit?: number }[] }) =>
    Object.fromEntries(body.errors.map((e) => [e.path, e.limit === undefined ? e.reason : `${e.reason} ${e.limit}`]));

  test('subscribing', async () => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const bad = await subscribe(
      consumer,
      familyOfThree({ planId: 'weekly-small', householdSize: 3, region: 'atlantis', exclusions: ['apple', 'durian-x'], startDate: '2027-05-02' }),
    ).expect(400);
    expect(reasons(bad.body)).toEqual({
      'body.region': 'not_a_region',
      'body.startDate': 'date_in_past',
      'body.householdSize': 'too_big 2',
      'body.exclusions.1': 'not_a_fruit',
    });
    expect(reasons((await subscribe(consumer, familyOfThree({ planId: 'weekly-huge' })).expect(400)).body)).toEqual({ 'body.planId': 'not_a_plan' });
    const everyFruit = (await fruits()).map((f) => f.id);
    expect(reasons((await subscribe(consumer, familyOfThree({ exclusions: everyFruit })).expect(422)).body)).toEqual({
      'body.exclusions': 'every_fruit_excluded',
    });
    // Avocados ripen over more days than they keep: the planner never counts them.
    expect(reasons((await subscribe(consumer, familyOfThree({ exclusions: everyFruit.filter((f) => f !== 'avocado') })).expect(422)).body)).toEqual({
      'body.exclusions': 'no_fruit_fits',
    });
  });

  test('skipping and pausing', async () => {
    setChinaTime('2027-05-03T09:00');
    const consumer = await aConsumer(t);
    const id = (await subscribe(consumer, familyOfThree()).expect(201)).body.id;
    const post = (what: string, body: object) => t.http.post(`/v1/subscriptions/${id}/${what}`).set(consumer.auth).send(body).expect(400);
    expect(reasons((await post('skip', { deliveryDate: '2027-05-09' })).body)).toEqual({ 'body.deliveryDate': 'not_a_delivery_date' });
    expect(reasons((await post('pause', { until: '2027-05-03' })).body)).toEqual({ 'body.until': 'not_in_future' });
    expect(reasons((await post('pause', { from: '2027-06-01', until: '2027-05-20' })).body)).toEqual({ 'body.until': 'not_after_from' });
    // The next delivery is Saturday 8 May: a pause until the 8th pauses nothing.
    expect(reasons((await post('pause', { until: '2027-05-08' })).body)).toEqual({ 'body.until': 'not_after_next_delivery' });
  });
});

describe('retries', () => {
  test('a retry of a subscription whose answer was lost gets the same subscription, not a second one; the key with another body is refused', async () => {
    setChinaTime('2027-07-05T09:00');
    const consumer = await aConsumer(t);
    const body = { ...familyOfThree(), startDate: '2027-07-05' };
    const key = randomUUID();
    // The first attempt's transaction committed, then its connection dropped before the answer was recorded:
    // the key was released, the subscription is there under the request's record id.
    const { subscription: first } = await t.app.services.subscriptions.lifecycle.create(
      { role: 'consumer', userId: consumer.userId },
      body,
      t.app.services.idempotency.recordId(`user:${consumer.userId}`, key),
    );
    const retry = await t.http.post('/v1/subscriptions').set(consumer.auth).set('Idempotency-Key', key).send(body).expect(201);
    expect(retry.body.id).toBe(first.id);
    const mine = (await t.http.get('/v1/me/subscriptions').set(consumer.auth).expect(200)).body;
    expect(mine.items.map((s: { id: string }) => s.id)).toEqual([first.id]);

    const other = randomUUID();
    await t.app.services.subscriptions.lifecycle.create(
      { role: 'consumer', userId: consumer.userId },
      body,
      t.app.services.idempotency.recordId(`user:${consumer.userId}`, other),
    );
    const changed = await t.http
      .post('/v1/subscriptions')
      .set(consumer.auth)
      .set('Idempotency-Key', other)
      .send({ ...body, householdSize: 2 })
      .expect(422);
    expect(changed.body.code).toBe('idempotency_key_reused');
  });
});

describe('many households at once', () => {
  test('twenty households subscribing to the same box at the same moment: every one is subscribed and sees the same boxes', async () => {
    setChinaTime('2027-07-05T09:00');
    const consumers = await Promise.all(Array.from({ length: 20 }, () => aConsumer(t)));
    const body = { ...familyOfThree(), startDate: '2027-07-05' };
    // Identical requests plan identical boxes: their contents are stored once, by whichever transaction comes first.
    const answers = await Promise.all(consumers.map((c) => subscribe(c, body)));
    expect(answers.map((a) => a.status)).toEqual(consumers.map(() => 201));
    const schedules = await Promise.all(consumers.map((c, i) => schedule(c, answers[i].body.id)));
    const items = schedules.map((deliveries) => deliveries.map((d) => ({ status: d.status, items: d.box?.items })));
    expect(items[0].length).toBe(4);
    for (const delivery of items[0]) expect(delivery.items?.length).toBeGreaterThan(0);
    for (const other of items) expect(other).toEqual(items[0]);
  });

  test('households cancelling while the planning job adds a week: no cancelled subscription is left with a box to be charged', async () => {
    setChinaTime('2027-08-02T09:00');
    const consumers = await Promise.all(Array.from({ length: 20 }, () => aConsumer(t)));
    const ids = (await Promise.all(consumers.map((c) => subscribe(c, { ...familyOfThree(), startDate: '2027-08-02' }).expect(201)))).map((r) => r.body.id);
    // A week on, the job adds each subscription's new last week while every household cancels.
    setChinaTime('2027-08-09T09:00');
    await Promise.all([
      t.app.services.subscriptions.planning.planAhead(),
      ...consumers.map((c, i) => t.http.post(`/v1/subscriptions/${ids[i]}/cancel`).set(c.auth).expect(200)),
    ]);
    const planned = await Promise.all(consumers.map(async (c, i) => (await schedule(c, ids[i], 6)).filter((d) => d.status === 'planned').length));
    expect(planned).toEqual(consumers.map(() => 0));
  });
});

describe('what the subscriber sees is what ships and is charged', () => {
  const allFruitBut = async (...kept: string[]) => (await fruits()).map((f) => f.id).filter((id) => !kept.includes(id));
  const get = (consumer: Caller, id: string) =>
    t.http
      .get(`/v1/subscriptions/${id}`)
      .set(consumer.auth)
      .expect(200)
      .then((r) => r.body);

  test('a subscription that excludes every fruit can never be filled: a clear 422 naming why, and nothing is created', async () => {
    setChinaTime('2027-07-05T09:00');
    const consumer = await aConsumer(t);
    const refused = await subscribe(consumer, familyOfThree({ exclusions: await allFruitBut() })).expect(422);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'subscription_unfillable', detail: expect.stringContaining('every fruit') });
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'body.exclusions' })]);
    expect((await t.http.get('/v1/me/subscriptions').set(consumer.auth).expect(200)).body.total).toBe(0);
  });

  test('out of season: the boxes that cannot be filled are shown as such (no box, no price), and the subscription says when its first delivery will be', async () => {
    setChinaTime('2027-11-08T09:00');
    const consumer = await aConsumer(t);
    const created = await subscribe(consumer, familyOfThree({ exclusions: await allFruitBut('lychee') })).expect(201);
    // Lychees come from May to July: the first box ships on Friday 5 May 2028 and arrives on Saturday the 6th.
    expect(created.body).toMatchObject({ status: 'active', firstDeliveryDate: '2027-11-13', nextDeliveryDate: '2028-05-06' });
    const deliveries = await schedule(consumer, created.body.id, 4);
    expect(deliveries.map((d) => [d.status, d.box])).toEqual([
      ['unfillable', null],
      ['unfillable', null],
      ['unfillable', null],
      ['unfillable', null],
    ]);
    expect((await get(consumer, created.body.id)).nextDeliveryDate).toBe('2028-05-06');
  });

  test("subscribing after the first delivery day's cutoff: the first delivery is the first whose cutoff is still ahead, and the schedule shows nothing that will not come", async () => {
    // Saturday 6 March ships on the 5th: its cutoff was Wednesday 3 March 20:00.
    setChinaTime('2027-03-04T09:00');
    const consumer = await aConsumer(t);
    const weekly = await subscribe(consumer, familyOfThree({ startDate: '2027-03-04' })).expect(201);
    expect(weekly.body).toMatchObject({ firstDeliveryDate: '2027-03-13', nextDeliveryDate: '2027-03-13' });
    expect((await schedule(consumer, weekly.body.id, 3)).map((d) => [d.deliveryDate, d.status])).toEqual([
      ['2027-03-13', 'planned'],
      ['2027-03-20', 'planned'],
    ]);
    const skip = await t.http.post(`/v1/subscriptions/${weekly.body.id}/skip`).set(consumer.auth).send({ deliveryDate: '2027-03-06' }).expect(400);
    expect(skip.body.detail).not.toMatch(/charged/);
    // Fortnightly: every other week from that first delivery.
    const fortnightly = await subscribe(consumer, familyOfThree({ planId: 'fortnightly-family', startDate: '2027-03-04' })).expect(201);
    expect((await schedule(consumer, fortnightly.body.id, 4)).map((d) => d.deliveryDate)).toEqual(['2027-03-13', '2027-03-27']);
  });

  test('a box with days nothing can cover is priced for the portions it covers, and the schedule shows that price', async () => {
    setChinaTime('2027-11-08T09:00');
    const consumer = await aConsumer(t);
    const readyToEat = (await fruits()).filter((f) => f.readyToEat).map((f) => f.id);
    const created = await subscribe(consumer, familyOfThree({ exclusions: readyToEat })).expect(201);
    const [first] = (await t.http.get(`/v1/subscriptions/${created.body.id}/schedule?weeks=1`).set(consumer.auth).expect(200)).body.deliveries;
    const covered = first.box.readyToEat.reduce((s: number, d: { plannedPortions: number }) => s + d.plannedPortions, 0);
    const needed = first.box.readyToEat.reduce((s: number, d: { neededPortions: number }) => s + d.neededPortions, 0);
    expect(covered).toBeLessThan(needed);
    expect(first.box.price).toBe(((26800 * covered) / needed / 100).toFixed(2));
  });

  describe('pause', () => {
    let consumer: Caller;
    let id: string;
    beforeAll(async () => {
      setChinaTime('2027-05-03T09:00');
      consumer = await aConsumer(t);
      id = (await subscribe(consumer, familyOfThree({ startDate: '2027-05-03' })).expect(201)).body.id;
    });

    test('`from` after `until`, or a pause with no delivery in it, is refused and changes nothing', async () => {
      const backwards = await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ from: '2027-06-01', until: '2027-05-20' }).expect(400);
      expect(backwards.body.errors).toEqual([expect.objectContaining({ path: 'body.until' })]);
      // The next delivery is Saturday 8 May: a pause until the 7th pauses nothing.
      const empty = await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ until: '2027-05-07' }).expect(400);
      expect(empty.body.errors).toEqual([expect.objectContaining({ path: 'body.until' })]);
      expect(await get(consumer, id)).toMatchObject({ status: 'active', pausedFrom: null, pausedUntil: null });
    });

    test('a pause from a later delivery: active until then, the deliveries before it still come; paused while it is in effect; active again after it', async () => {
      await t.http.post(`/v1/subscriptions/${id}/pause`).set(consumer.auth).send({ from: '2027-05-22', until: '2027-06-05' }).expect(200);
      expect(await get(consumer, id)).toMatchObject({ status: 'active', pausedFrom: '2027-05-22', pausedUntil: '2027-06-05', nextDeliveryDate: '2027-05-08' });
      expect((await schedule(consumer, id, 6)).map((d) => [d.deliveryDate, d.status])).toEqual([
        ['2027-05-08', 'planned'],
        ['2027-05-15', 'planned'],
        ['2027-05-22', 'paused'],
        ['2027-05-29', 'paused'],
        ['2027-06-05', 'preview'],
        ['2027-06-12', 'preview'],
      ]);
      // After the cutoff of the 15 May box, the next box that can still change is a paused one.
      setChinaTime('2027-05-12T21:00');
      expect(await get(consumer, id)).toMatchObject({ status: 'paused', nextDeliveryDate: '2027-05-15' });
      // Once the next box that can still change is after the pause, deliveries come again: no resume needed.
      setChinaTime('2027-06-01T09:00');
      expect(await get(consumer, id)).toMatchObject({ status: 'active', nextDeliveryDate: '2027-06-05' });
      await t.app.services.subscriptions.planning.planAhead();
      expect((await schedule(consumer, id, 1))[0]).toMatchObject({ deliveryDate: '2027-06-05', status: 'planned' });
    });
  });

  describe('changing a subscription', () => {
    let consumer: Caller;
    let id: string;
    const patch = (caller: Caller, body: object) => t.http.patch(`/v1/subscriptions/${id}`).set(caller.auth).send(body);
    beforeAll(async () => {
      setChinaTime('2027-09-06T09:00');
      consumer = await aConsumer(t);
      id = (await subscribe(consumer, familyOfThree({ startDate: '2027-09-06' })).expect(201)).body.id;
      // The first box (Saturday 11 September) is locked at its cutoff, Wednesday 8 September 20:00.
      setChinaTime('2027-09-08T21:00');
      await t.app.services.boxCharges.lockDue();
    });

    test('household size and exclusions: the boxes whose cutoff is ahead are planned again, the locked one is left as it is', async () => {
      const changed = await patch(consumer, { householdSize: 5, exclusions: ['apple'] }).expect(200);
      expect(changed.body).toMatchObject({ householdSize: 5, exclusions: ['apple'], status: 'active' });
      const deliveries = await schedule(consumer, id, 3);
      expect(deliveries.map((d) => [d.deliveryDate, d.status, d.box!.readyToEat[0].neededPortions])).toEqual([
        ['2027-09-11', 'locked', 3],
        ['2027-09-18', 'planned', 5],
        ['2027-09-25', 'planned', 5],
      ]);
      for (const d of deliveries.slice(1)) expect(d.box!.items.map((i) => i.fruitId)).not.toContain('apple');
    });

    test('the plan: a fortnightly plan runs every other week from the next delivery whose cutoff is ahead, at its price', async () => {
      await patch(consumer, { planId: 'fortnightly-family' }).expect(200);
      const deliveries = (await t.http.get(`/v1/subscriptions/${id}/schedule?weeks=5`).set(consumer.auth).expect(200)).body.deliveries as {
        deliveryDate: string;
        status: string;
        box: { price: string; readyToEat: unknown[] };
      }[];
      expect(deliveries.map((d) => [d.deliveryDate, d.status, d.box.readyToEat.length])).toEqual([
        ['2027-09-11', 'locked', 7],
        ['2027-09-18', 'planned', 14],
        ['2027-10-02', 'planned', 14],
      ]);
      expect(deliveries[0].box.price).toBe('268.00');
      const boxes = (await t.db.read((tx) =>
        tx.query("SELECT delivery_date, status FROM fruit_boxes WHERE subscription_id = ? AND status <> 'cancelled' ORDER BY delivery_date", [id]),
      )) as { delivery_date: string }[];
      expect(boxes.map((b) => b.delivery_date)).toEqual(['2027-09-11', '2027-09-18', '2027-10-02']);
    });

    test("bad changes are refused and change nothing; another consumer's subscription is a 404; a cancelled one a 409", async () => {
      await patch(consumer, {}).expect(400);
      await patch(consumer, { planId: 'no-such-plan' }).expect(400);
      await patch(consumer, { planId: 'weekly-small' }).expect(400); // for at most 2 people: the household is 5
      const unfillable = await patch(consumer, { exclusions: await allFruitBut() }).expect(422);
      expect(unfillable.body.code).toBe('subscription_unfillable');
      await patch(await aConsumer(t), { householdSize: 2 }).expect(404);
      expect(await get(consumer, id)).toMatchObject({ planId: 'fortnightly-family', householdSize: 5, exclusions: ['apple'] });
      await t.http.post(`/v1/subscriptions/${id}/cancel`).set(consumer.auth).expect(200);
      expect((await patch(consumer, { householdSize: 2 }).expect(409)).body.code).toBe('subscription_cancelled');
    });

    test('after a cancel, the locked box is still shown: it ships and is charged; nothing else is', async () => {
      const cancelled = await get(consumer, id);
      expect(cancelled).toMatchObject({ status: 'cancelled', nextDeliveryDate: '2027-09-11' });
      expect((await schedule(consumer, id, 4)).map((d) => [d.deliveryDate, d.status])).toEqual([['2027-09-11', 'locked']]);
    });
  });
});
