import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { expectLedgerReconciles } from '../support/campaigns';
import { TestClock, runDue } from '../support/clock';
import { subscribe as subscribeThrough } from '../support/subscriptions';
import { SupplyCommitmentRow } from '../../src/subscriptions/subscription.entity';

/**
 * A fruit box from its cutoff on, through HTTP and the real jobs: locked and charged once, however often
 * the cutoff job runs; failed charges retried then the box cancelled; the money split between orchard
 * and platform in the ledger; picking lists; shipping; the late-shipping guarantee.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let orchard: { id: string; user: Caller };

const setChinaTime = (iso: string) => {
  clock.offsetMs = DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toMillis() - Date.now();
};
const runJob = async (name: string) => {
  await t.db.transaction((tx) => t.app.jobs.enqueue(tx, name, {}));
  await runDue(t, clock);
};
type Box = {
  id: string;
  deliveryDate: string;
  shipDate: string;
  status: string;
  price: string;
  paymentId: string | null;
  chargeAttempts: number;
  cancelReason: string | null;
  items: { fruitId: string; units: number }[];
  compensatedAt: string | null;
};
const boxesOf = async (subscriptionId: string) =>
  ((await t.http.get('/v1/boxes?limit=100').set(operator.auth).expect(200)).body.items as (Box & { subscriptionId: string })[])
    .filter((b) => b.subscriptionId === subscriptionId)
    .sort((a, b) => a.deliveryDate.localeCompare(b.deliveryDate));
const subscribe = async (consumer: Caller, overrides: object = {}) => (await subscribeThrough(t, consumer, clock, overrides).expect(201)).body.id as string;
const notifications = (c: Caller) =>
  t.http
    .get('/v1/me/notifications?limit=100')
    .set(c.auth)
    .expect(200)
    .then((r) => r.body.items as { kind: string; message: string }[]);
const balance = (account: string) => t.db.read((tx) => t.app.services.ledger.balance(tx, account)).then((b) => b.negated().toFixed(2));

beforeAll(async () => {
  clock = new TestClock();
  setChinaTime('2027-03-01T09:00');
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  orchard = await aFactory(t, operator, 'orchard');
  // This orchard supplies every fruit of the catalogue.
  for (const fruit of (await t.http.get('/v1/fruits').expect(200)).body.items) {
    await t.http.patch(`/v1/fruits/${fruit.id}`).set(operator.auth).send({ orchardId: orchard.id }).expect(200);
  }
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

describe('supply', () => {
  test('a fruit is supplied by an orchard: a manufacturer or an unknown factory is refused, and the fruit keeps its orchard', async () => {
    const manufacturer = await aFactory(t, operator);
    for (const orchardId of [manufacturer.id, '00000000-0000-4000-8000-000000000000']) {
      const refused = await t.http.patch('/v1/fruits/mango').set(operator.auth).send({ orchardId }).expect(400);
      expect(refused.body.errors).toEqual([{ path: 'body.orchardId', message: 'is not an orchard', reason: 'not_an_orchard' }]);
    }
    expect((await t.http.get('/v1/fruits').expect(200)).body.items.find((f: { id: string }) => f.id === 'mango')).toMatchObject({ orchardId: orchard.id });
  });
});

describe('at the cutoff', () => {
  test('a box is locked and charged exactly once, even when the cutoff job runs twice at once; the orchard is owed its fruit', async () => {
    setChinaTime('2027-03-01T09:00');
    const consumer = await aConsumer(t);
    const id = await subscribe(consumer);
    const [first] = await boxesOf(id);
    expect(first).toMatchObject({ deliveryDate: '2027-03-06', shipDate: '2027-03-05', status: 'planned', paymentId: null });

    setChinaTime('2027-03-03T20:05');
    const charges = t.app.services.boxCharges;
    await Promise.all([charges.lockDue(), charges.lockDue(), runJob('subscriptions.lock-due-boxes')]);
    const [locked, second] = await boxesOf(id);
    expect(locked).toMatchObject({ status: 'locked', chargeAttempts: 1, paymentId: expect.any(String) });
    expect(second.status).toBe('planned');
    const payments = (await t.db.read((tx) => tx.query('SELECT id, amount_fen FROM payments WHERE box_id = ?', [locked.id]))) as {
      id: string;
      amount_fen: string | number;
    }[];
    expect(payments).toHaveLength(1);
    expect(Number(payments[0].amount_fen)).toBe(26800);

    const orchardBefore = await balance(`factory_payable:${orchard.id}`);
    const feesBefore = await balance('platform_fees');
    await t.http.post(`/v1/payments/${locked.paymentId}/sandbox/complete`).set(operator.auth).expect(200);
    const [paid] = await boxesOf(id);
    expect(paid.status).toBe('paid');
    const cost = ((await t.db.read((tx) => tx.query('SELECT cost_fen FROM fruit_boxes WHERE id = ?', [paid.id]))) as { cost_fen: string | number }[])[0]
      .cost_fen;
    const orchardGot = (Number(await balance(`factory_payable:${orchard.id}`)) - Number(orchardBefore)).toFixed(2);
    const platformGot = (Number(await balance('platform_fees')) - Number(feesBefore)).toFixed(2);
    expect(orchardGot).toBe((Number(cost) / 100).toFixed(2));
    expect((Number(orchardGot) + Number(platformGot)).toFixed(2)).toBe('268.00');
    expect((await notifications(consumer)).map((n) => n.kind)).toContain('box_charged');

    // The schedule shows the locked box as it will come; a change to it is refused.
    const schedule = (await t.http.get(`/v1/subscriptions/${id}/schedule?weeks=2`).set(consumer.auth).expect(200)).body.deliveries;
    expect(schedule[0]).toMatchObject({ deliveryDate: '2027-03-06', status: 'paid' });
    await t.http.post(`/v1/subscriptions/${id}/skip`).set(consumer.auth).send({ deliveryDate: '2027-03-06' }).expect(409);
  });

  test('the orchard sees its picking list and the fruit the boxes need in its forecast; another factory sees none of it', async () => {
    const list = (await t.http.get('/v1/factory/picking-lists?shipDate=2027-03-05').set(orchard.user.auth).expect(200)).body;
    const boxes = (await t.http.get('/v1/boxes?shipDate=2027-03-05&limit=100').set(operator.auth).expect(200)).body.items.filter((b: Box) =>
      ['locked', 'paid'].includes(b.status),
    ) as Box[];
    const expected = new Map<string, number>();
    for (const item of boxes.flatMap((b) => b.items)) expected.set(item.fruitId, (expected.get(item.fruitId) ?? 0) + item.units);
    expect(new Map(list.items.map((i: { fruitId: string; units: number }) => [i.fruitId, i.units]))).toEqual(expected);

    const forecast = (await t.http.get('/v1/factory/forecast').set(orchard.user.auth).expect(200)).body;
    expect(forecast.supplies.length).toBeGreaterThan(0);
    // Each supply says what it is: kind supply and its key (`key` as well, for clients written before kind and sourceKey).
    for (const l of forecast.supplies) expect(l).toMatchObject({ kind: 'supply', sourceKey: expect.stringMatching(/^fruit:/), key: l.sourceKey });
    // Each week's totals are per unit: kilograms and pieces are never added together.
    type Supply = { week: string; unit: string; firmUnits: number; expectedUnits: number };
    const supplies = forecast.supplies as Supply[];
    expect(new Set(supplies.map((l) => l.unit))).toEqual(new Set(['kg', 'piece']));
    const byWeekAndUnit = (rows: Supply[]) => {
      const totals = new Map<string, { firmUnits: number; expectedUnits: number }>();
      for (const r of rows) {
        const total = totals.get(`${r.week}|${r.unit}`) ?? { firmUnits: 0, expectedUnits: 0 };
        totals.set(`${r.week}|${r.unit}`, { firmUnits: total.firmUnits + r.firmUnits, expectedUnits: total.expectedUnits + r.expectedUnits });
      }
      return totals;
    };
    expect(byWeekAndUnit(forecast.weeks)).toEqual(byWeekAndUnit(supplies));
    const published = await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200);
    const batch = (await t.http.get(`/v1/factory/forecast-batches/${published.body.batch.id}`).set(orchard.user.auth).expect(200)).body;
    type Line = { kind: string; sourceKey: string; campaignId: string | null; campaignTitle: string; variant: string; shipWeek: string; firmUnits: number };
    expect(batch.lines.some((l: Line) => l.sourceKey.startsWith('fruit:') && l.firmUnits > 0)).toBe(true);
    // No campaign behind a supply line: kind supply, the fruit's key as source key, no campaign id.
    for (const l of batch.lines as Line[])
      expect(l).toMatchObject({ kind: 'supply', sourceKey: expect.stringMatching(/^fruit:[a-z0-9-]+$/), campaignId: null });
    // The batch's totals are per unit too, on the batch and in the list: the lines' kilograms and pieces, each added up apart.
    const perUnit = (unit: string) => {
      const mine = (batch.lines as Line[]).filter((l) => l.variant === unit) as (Line & { expectedUnits: number })[];
      return { unit, firmUnits: mine.reduce((s, l) => s + l.firmUnits, 0), expectedUnits: mine.reduce((s, l) => s + l.expectedUnits, 0) };
    };
    expect(batch.totals).toEqual([perUnit('piece'), perUnit('kg')]);
    expect(batch.totals.every((u: { firmUnits: number }) => u.firmUnits > 0)).toBe(true);
    const listed = (await t.http.get('/v1/factory/forecast-batches').set(orchard.user.auth).expect(200)).body.items;
    expect(listed.find((b: { id: string }) => b.id === batch.id).totals).toEqual(batch.totals);
    // The webhook's body is the batch as the API gives it: the same totals.
    expect(published.body.batch.totals).toEqual(batch.totals);
    // The CSV says the same in its last two columns.
    const csv = (await t.http.get(`/v1/factory/forecast-batches/${published.body.batch.id}?format=csv`).set(orchard.user.auth).expect(200)).text.replace(
      /^\uFEFF/,
      '',
    );
    const [header, ...rows] = csv.split('\r\n').filter((r) => r !== '');
    expect(header.endsWith(',类型 kind,来源键 source key')).toBe(true);
    expect(rows.map((r) => r.split(',').slice(-2))).toEqual((batch.lines as Line[]).map((l) => ['supply', l.sourceKey]));

    const other = await aFactory(t, operator);
    expect((await t.http.get('/v1/factory/picking-lists?shipDate=2027-03-05').set(other.user.auth).expect(200)).body.items).toEqual([]);
    expect((await t.http.get('/v1/factory/forecast').set(other.user.auth).expect(200)).body.supplies).toEqual([]);
  });

  test('a charge that fails is tried again after 1 h and 4 h, then the box is cancelled and the subscriber told', async () => {
    setChinaTime('2027-03-08T09:00');
    const consumer = await aConsumer(t);
    const id = await subscribe(consumer);
    setChinaTime('2027-03-10T20:01');
    await runJob('subscriptions.lock-due-boxes');
    const fail = async () => {
      const [box] = await boxesOf(id);
      await t.http.post(`/v1/payments/${box.paymentId}/sandbox/fail`).set(operator.auth).expect(200);
      return box;
    };
    expect((await fail()).chargeAttempts).toBe(1);
    clock.offsetMs += 3600_000;
    await runDue(t, clock);
    expect((await fail()).chargeAttempts).toBe(2);
    clock.offsetMs += 4 * 3600_000;
    await runDue(t, clock);
    expect((await fail()).chargeAttempts).toBe(3);
    const [cancelled] = await boxesOf(id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'charge_failed' });
    const kinds = (await notifications(consumer)).map((n) => n.kind);
    expect(kinds.filter((k) => k === 'box_charge_failed')).toHaveLength(2);
    expect(kinds).toContain('box_cancelled');
    // The next box is not affected.
    expect((await boxesOf(id))[1].status).toBe('planned');
  });
});

describe('shipping and the late-shipping guarantee', () => {
  test('a paid box not shipped a day after its ship date earns 20 % of its price as credit, once; a shipped one earns nothing', async () => {
    setChinaTime('2027-03-15T09:00');
    const [late, onTime] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const ids = [await subscribe(late), await subscribe(onTime)];
    setChinaTime('2027-03-17T20:01');
    await runJob('subscriptions.lock-due-boxes');
    const firstBoxes = await Promise.all(ids.map(async (id) => (await boxesOf(id))[0]));
    for (const box of firstBoxes) await t.http.post(`/v1/payments/${box.paymentId}/sandbox/complete`).set(operator.auth).expect(200);

    setChinaTime('2027-03-19T15:00');
    expect(
      (
        await t.http
          .post('/v1/boxes/ship')
          .set(operator.auth)
          .send({ boxIds: [firstBoxes[1].id] })
          .expect(200)
      ).body,
    ).toEqual({ shipped: 1 });
    expect(
      (
        await t.http
          .post('/v1/boxes/ship')
          .set(operator.auth)
          .send({ boxIds: [firstBoxes[1].id] })
          .expect(200)
      ).body,
    ).toEqual({ shipped: 0 });

    // Shipped by the end of 19 March, a day's grace: the guarantee pays from 21 March 00:00.
    setChinaTime('2027-03-20T23:59');
    await runJob('subscriptions.late-shipping-guarantee');
    expect((await boxesOf(ids[0]))[0].compensatedAt).toBeNull();
    setChinaTime('2027-03-21T00:01');
    await runJob('subscriptions.late-shipping-guarantee');
    await runJob('subscriptions.late-shipping-guarantee');
    expect((await boxesOf(ids[0]))[0].compensatedAt).not.toBeNull();
    expect((await boxesOf(ids[1]))[0].compensatedAt).toBeNull();
    expect(await balance(`subscriber_credit:${late.userId}`)).toBe('53.60');
    expect((await notifications(late)).filter((n) => n.kind === 'box_compensated')).toHaveLength(1);
    expect((await notifications(onTime)).map((n) => n.kind)).not.toContain('box_compensated');
  });

  test('a box marked shipped after its guarantee deadline, before the hourly job ran, still earns the credit, once; one shipped within the day earns nothing', async () => {
    setChinaTime('2027-03-22T09:00');
    const [late, inTime] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const ids = [await subscribe(late), await subscribe(inTime)];
    // Saturday 27 March ships on the 26th: cutoff 24 March 20:00, ship-by 27 March 00:00, the guarantee pays from 28 March 00:00.
    setChinaTime('2027-03-24T20:01');
    await runJob('subscriptions.lock-due-boxes');
    const [lateBox, inTimeBox] = await Promise.all(ids.map(async (id) => (await boxesOf(id))[0]));
    expect([lateBox.deliveryDate, inTimeBox.deliveryDate]).toEqual(['2027-03-27', '2027-03-27']);
    for (const box of [lateBox, inTimeBox]) await t.http.post(`/v1/payments/${box.paymentId}/sandbox/complete`).set(operator.auth).expect(200);

    setChinaTime('2027-03-27T23:59');
    await t.http
      .post('/v1/boxes/ship')
      .set(operator.auth)
      .send({ boxIds: [inTimeBox.id] })
      .expect(200);
    setChinaTime('2027-03-28T01:00'); // 25 h after ship-by; the hourly job last ran at 00:20 the day before
    expect(
      (
        await t.http
          .post('/v1/boxes/ship')
          .set(operator.auth)
          .send({ boxIds: [lateBox.id] })
          .expect(200)
      ).body,
    ).toEqual({ shipped: 1 });
    setChinaTime('2027-03-28T01:20');
    await runJob('subscriptions.late-shipping-guarantee');
    await runJob('subscriptions.late-shipping-guarantee');
    await t.http
      .post('/v1/boxes/ship')
      .set(operator.auth)
      .send({ boxIds: [lateBox.id] })
      .expect(200);

    expect((await boxesOf(ids[0]))[0]).toMatchObject({ status: 'shipped', compensatedAt: expect.any(String) });
    expect((await boxesOf(ids[1]))[0]).toMatchObject({ status: 'shipped', compensatedAt: null });
    expect(await balance(`subscriber_credit:${late.userId}`)).toBe('53.60');
    expect(await balance(`subscriber_credit:${inTime.userId}`)).toBe('0.00');
    expect((await notifications(late)).filter((n) => n.kind === 'box_compensated')).toHaveLength(1);
  });
});

describe('an orchard short of fruit', () => {
  test('commits less than the boxes need: the boxes share it fairly, are planned again within their share, and stay within it', async () => {
    setChinaTime('2027-04-05T09:00');
    const consumers = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    const ids: string[] = [];
    for (const c of consumers) ids.push(await subscribe(c));
    const firstBoxes = async () => Promise.all(ids.map(async (id) => (await boxesOf(id))[0]));
    const before = await firstBoxes();
    const week = (await t.http.get(`/v1/subscriptions/${ids[0]}/schedule?weeks=1`).set(consumers[0].auth).expect(200)).body.deliveries[0];
    // The fruit these boxes need most.
    const need = new Map<string, number>();
    for (const item of before.flatMap((b) => b.items)) need.set(item.fruitId, (need.get(item.fruitId) ?? 0) + item.units);
    const [fruitId] = [...need.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const unitsIn = (b: Box) => b.items.filter((i) => i.fruitId === fruitId).reduce((s, i) => s + i.units, 0);

    const published = await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200);
    const batchId = published.body.batch.id;
    const batch = (await t.http.get(`/v1/factory/forecast-batches/${batchId}`).set(orchard.user.auth).expect(200)).body;
    const shipWeek = DateTime.fromISO(week.shipDate).toFormat("kkkk-'W'WW");
    const line = batch.lines.find((l: { sourceKey: string; shipWeek: string }) => l.sourceKey === `fruit:${fruitId}` && l.shipWeek === shipWeek);
    expect(line.expectedUnits).toBeGreaterThanOrEqual(need.get(fruitId)!);
    // Half of what every box of that week needs (other tests' subscriptions have boxes that week too).
    const committed = Math.floor(line.expectedUnits / 2);
    await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(orchard.user.auth).expect(200);
    await t.http
      .post(`/v1/factory/forecast-batches/${batchId}/commit`)
      .set(orchard.user.auth)
      .send({ lines: [{ lineId: line.id, quantity: committed, shipBy: week.shipDate, reason: 'capacity' }] })
      .expect(200);
    await runDue(t, clock);

    const weekBoxes = ((await t.http.get('/v1/boxes?status=planned&limit=100').set(operator.auth).expect(200)).body.items as Box[]).filter(
      (b) => DateTime.fromISO(b.shipDate).toFormat("kkkk-'W'WW") === shipWeek,
    );
    expect(weekBoxes.reduce((s, b) => s + unitsIn(b), 0)).toBeLessThanOrEqual(committed);
    const after = await firstBoxes();
    for (const [i, box] of after.entries()) {
      expect(unitsIn(box)).toBeLessThanOrEqual(unitsIn(before[i]));
      // Everyone loses the same share of what they asked for, give or take the whole unit of rounding.
      expect(Math.abs(unitsIn(box) - (unitsIn(before[i]) * committed) / line.expectedUnits)).toBeLessThan(1);
      const days = (await t.http.get(`/v1/subscriptions/${ids[i]}/schedule?weeks=1`).set(consumers[i].auth).expect(200)).body.deliveries[0].box;
      for (const day of days.readyToEat)
        expect(
          day.plannedPortions >= day.neededPortions ||
            days.uncoveredDays.some((u: { date: string; reason: string }) => u.date === day.date && u.reason === 'supply'),
        ).toBe(true);
    }
    // The share run twice at once (a retried job beside its first run) cuts no box further.
    await Promise.all([1, 2].map(() => t.app.services.subscriptions.shortfall.shareShortfall(fruitId, shipWeek)));
    expect((await firstBoxes()).map(unitsIn)).toEqual(after.map(unitsIn));
    // Planning again later keeps each box within its share.
    await t.app.services.subscriptions.planning.planAhead();
    const again = await firstBoxes();
    for (const [i, box] of again.entries()) expect(unitsIn(box)).toBeLessThanOrEqual(unitsIn(after[i]));
  });
});

describe('a shortfall and the boxes that will not ship', () => {
  test.each(['cancels', 'skips the date', 'pauses'])(
    'a box left with nothing by a shortfall, whose subscriber then %s, takes no share of a later commitment from the boxes that ship',
    async (how) => {
      setChinaTime('2027-06-07T09:00');
      // Mango only: a box with no mango in it has nothing to send (unfillable).
      const fruitIds = ((await t.http.get('/v1/fruits').expect(200)).body.items as { id: string }[]).map((f) => f.id);
      const onlyMango = { exclusions: fruitIds.filter((id) => id !== 'mango') };
      const [leaving, staying] = [await aConsumer(t), await aConsumer(t)];
      const leavingId = await subscribe(leaving, onlyMango);
      const stayingId = await subscribe(staying, onlyMango);
      const [first] = await boxesOf(stayingId);
      const asked = first.items.filter((i) => i.fruitId === 'mango').reduce((s, i) => s + i.units, 0);
      expect(asked).toBeGreaterThan(0);
      const week = DateTime.fromISO(first.shipDate).toFormat("kkkk-'W'WW");
      const commit = async (units: number) => {
        await t.db.transaction(async (tx) => {
          await tx.delete(SupplyCommitmentRow, { fruitId: 'mango', shipWeek: week });
          await tx.insert(SupplyCommitmentRow, { fruitId: 'mango', shipWeek: week, orchardId: orchard.id, units, committedAt: clock.now() });
        });
        await t.app.services.subscriptions.shortfall.shareShortfall('mango', week);
      };
      // No mango that week: both first boxes are left with nothing to send.
      await commit(0);
      expect((await boxesOf(leavingId))[0]).toMatchObject({ status: 'cancelled', cancelReason: 'unfillable' });
      expect((await boxesOf(stayingId))[0]).toMatchObject({ status: 'cancelled', cancelReason: 'unfillable' });

      if (how === 'cancels') await t.http.post(`/v1/subscriptions/${leavingId}/cancel`).set(leaving.auth).expect(200);
      if (how === 'skips the date')
        await t.http.post(`/v1/subscriptions/${leavingId}/skip`).set(leaving.auth).send({ deliveryDate: first.deliveryDate }).expect(200);
      if (how === 'pauses')
        await t.http
          .post(`/v1/subscriptions/${leavingId}/pause`)
          .set(leaving.auth)
          .send({ until: DateTime.fromISO(first.deliveryDate).plus({ days: 1 }).toISODate() })
          .expect(200);
      // The orchard finds enough mango for the box that still ships: it gets all of it.
      await commit(asked);
      const [after] = await boxesOf(stayingId);
      expect(after).toMatchObject({ status: 'planned', price: first.price });
      expect(after.items.filter((i) => i.fruitId === 'mango').reduce((s, i) => s + i.units, 0)).toBe(asked);
      expect((await boxesOf(leavingId))[0]).toMatchObject({ status: 'cancelled', items: [] });

      // Out of the way of the next case: the staying subscription ends too.
      await t.http.post(`/v1/subscriptions/${stayingId}/cancel`).set(staying.auth).expect(200);
      await t.db.transaction((tx) => tx.delete(SupplyCommitmentRow, { fruitId: 'mango', shipWeek: week }));
    },
  );

  test('a subscriber who excludes the short fruit after the cut asks for none of it at the next commitment: the other box gets all it asked', async () => {
    setChinaTime('2027-06-21T09:00');
    const [excluding, other] = [await aConsumer(t), await aConsumer(t)];
    const excludingId = await subscribe(excluding, { householdSize: 5 });
    const otherId = await subscribe(other, { householdSize: 5 });
    const [first] = await boxesOf(otherId);
    const unitsOf = (box: Box, fruitId: string) => box.items.filter((i) => i.fruitId === fruitId).reduce((s, i) => s + i.units, 0);
    // A fruit both boxes hold at least two of.
    const fruitId = first.items.map((i) => i.fruitId).find((f) => unitsOf(first, f) >= 2)!;
    const asked = unitsOf(first, fruitId);
    expect(unitsOf((await boxesOf(excludingId))[0], fruitId)).toBe(asked);
    const week = DateTime.fromISO(first.shipDate).toFormat("kkkk-'W'WW");
    const commit = async (units: number) => {
      await t.db.transaction(async (tx) => {
        await tx.delete(SupplyCommitmentRow, { fruitId, shipWeek: week });
        await tx.insert(SupplyCommitmentRow, { fruitId, shipWeek: week, orchardId: orchard.id, units, committedAt: clock.now() });
      });
      await t.app.services.subscriptions.shortfall.shareShortfall(fruitId, week);
    };
    await commit(asked);
    expect(unitsOf((await boxesOf(otherId))[0], fruitId)).toBeLessThan(asked);

    await t.http
      .patch(`/v1/subscriptions/${excludingId}`)
      .set(excluding.auth)
      .send({ exclusions: [fruitId] })
      .expect(200);
    expect(unitsOf((await boxesOf(excludingId))[0], fruitId)).toBe(0);
    // The orchard confirms the same units: they all go to the box that still wants the fruit.
    await commit(asked);
    expect(unitsOf((await boxesOf(otherId))[0], fruitId)).toBe(asked);
    const shortfalls = (await t.http.get(`/v1/shortfalls?shipDate=${first.shipDate}`).set(operator.auth).expect(200)).body.fruits;
    const line = shortfalls.find((f: { fruitId: string }) => f.fruitId === fruitId);
    expect(line.boxes.find((b: { subscriptionId: string }) => b.subscriptionId === excludingId)).toMatchObject({ askedUnits: 0, shareUnits: 0, short: false });
    expect(line.boxes.find((b: { subscriptionId: string }) => b.subscriptionId === otherId)).toMatchObject({
      askedUnits: asked,
      shareUnits: asked,
      short: false,
    });
    await t.db.transaction((tx) => tx.delete(SupplyCommitmentRow, { fruitId, shipWeek: week }));
  });
});

describe('boxes that cannot be filled', () => {
  test('a box is charged only for the portions of need it covers; a box with no fruit in it is neither locked nor charged', async () => {
    setChinaTime('2027-11-08T09:00');
    const catalogue = (await t.http.get('/v1/fruits').expect(200)).body.items as { id: string; readyToEat: boolean }[];
    const [partly, empty] = [await aConsumer(t), await aConsumer(t)];
    // Nothing ready to eat on arrival: days 1–3 cannot be covered. Only lychees (May to July): nothing in November.
    const partlyId = await subscribe(partly, { exclusions: catalogue.filter((f) => f.readyToEat).map((f) => f.id) });
    const emptyId = await subscribe(empty, { exclusions: catalogue.map((f) => f.id).filter((id) => id !== 'lychee') });
    const [shown] = (await t.http.get(`/v1/subscriptions/${partlyId}/schedule?weeks=1`).set(partly.auth).expect(200)).body.deliveries;
    const covered = shown.box.readyToEat.reduce((s: number, d: { plannedPortions: number }) => s + d.plannedPortions, 0);
    expect(covered).toBeGreaterThan(0);
    expect(covered).toBeLessThan(21);

    setChinaTime('2027-11-10T20:01');
    await runJob('subscriptions.lock-due-boxes');
    const boxes = async (id: string) =>
      (await t.db.read((tx) =>
        tx.query('SELECT id, delivery_date, status, cancel_reason, price_fen FROM fruit_boxes WHERE subscription_id = ? ORDER BY delivery_date', [id]),
      )) as { id: string; delivery_date: string; status: string; cancel_reason: string | null; price_fen: string | number }[];
    const [locked] = await boxes(partlyId);
    expect(locked).toMatchObject({ delivery_date: '2027-11-13', status: 'locked' });
    const [payment] = (await t.db.read((tx) => tx.query('SELECT id, amount_fen FROM payments WHERE box_id = ?', [locked.id]))) as {
      id: string;
      amount_fen: string | number;
    }[];
    expect(Number(payment.amount_fen)).toBe(Math.round((26800 * covered) / 21));
    expect((Number(payment.amount_fen) / 100).toFixed(2)).toBe(shown.box.price);
    await t.http.post(`/v1/payments/${payment.id}/sandbox/complete`).set(operator.auth).expect(200);

    const unfilled = await boxes(emptyId);
    expect(unfilled.length).toBeGreaterThan(0);
    expect(unfilled.map((b) => [b.status, b.cancel_reason, Number(b.price_fen)])).toEqual(unfilled.map(() => ['cancelled', 'unfillable', 0]));
    const charged = (await t.db.read((tx) =>
      tx.query('SELECT COUNT(*) AS n FROM payments WHERE box_id IN (SELECT id FROM fruit_boxes WHERE subscription_id = ?)', [emptyId]),
    )) as { n: number | string }[];
    expect(Number(charged[0].n)).toBe(0);
  });
});

describe("the orchard's forecast as its boxes go out", () => {
  test("a week's fruit lines do not shrink as its boxes ship, and an ended week leaves the batches without a drop to zero", async () => {
    setChinaTime('2027-11-22T09:00');
    const consumer = await aConsumer(t);
    const id = await subscribe(consumer);
    setChinaTime('2027-11-24T20:01');
    await runJob('subscriptions.lock-due-boxes');
    const [box] = await boxesOf(id);
    await t.http.post(`/v1/payments/${box.paymentId}/sandbox/complete`).set(operator.auth).expect(200);
    type Supply = { sourceKey: string; week: string; firmUnits: number; expectedUnits: number; lowUnits: number; highUnits: number };
    const week = '2027-W47';
    const weekLines = async () =>
      ((await t.http.get('/v1/factory/forecast').set(orchard.user.auth).expect(200)).body.supplies as Supply[]).filter((l) => l.week === week);

    setChinaTime('2027-11-26T10:00');
    const beforeShipping = await weekLines();
    expect(beforeShipping.filter((l) => l.firmUnits > 0).map((l) => l.sourceKey)).toEqual(
      expect.arrayContaining([...new Set(box.items.map((i) => `fruit:${i.fruitId}`))]),
    );
    await t.http
      .post('/v1/boxes/ship')
      .set(operator.auth)
      .send({ boxIds: [box.id] })
      .expect(200);
    // Shipped fruit is still the week's demand: the orchard picked it.
    expect(await weekLines()).toEqual(beforeShipping);
    await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200);

    // The next week: the ended week's lines just leave; none comes back as a drop to zero.
    setChinaTime('2027-11-29T09:00');
    expect(await weekLines()).toEqual([]);
    const published = (await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200)).body;
    const lines = published.batch
      ? ((await t.http.get(`/v1/factory/forecast-batches/${published.batch.id}`).set(orchard.user.auth).expect(200)).body.lines as {
          shipWeek: string;
          change: string;
        }[])
      : [];
    expect(lines.filter((l) => l.shipWeek <= week)).toEqual([]);
  });
});

describe('reconcile', () => {
  test('catches a paid box whose charge is missing from the ledger', async () => {
    const [paid] = (await t.http.get('/v1/boxes?status=paid&limit=1').set(operator.auth).expect(200)).body.items as Box[];
    const hide = (kind: string) =>
      t.db.statement((tx) =>
        tx.query('UPDATE journal_entries SET kind = ? WHERE box_id = ? AND kind = ?', [
          kind,
          paid.id,
          kind === 'box_charged' ? 'box_charged_hidden' : 'box_charged',
        ]),
      );
    await hide('box_charged_hidden');
    const report = await t.app.reconcile();
    expect(report.violations).toContainEqual(`box ${paid.id} is paid and has 0 charge entries in the ledger`);
    await hide('box_charged');
  });
});
