import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { accounts } from '../../src/ledger';
import type { Logger } from '../../src/platform/logger';
import { fromFen, formatMoney, sum } from '../../src/platform/money';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { expectLedgerReconciles } from '../support/campaigns';
import { TestClock, runDue } from '../support/clock';

/**
 * Orchards' statements: once an ISO ship week has ended, each orchard gets a statement of the fruit of
 * that week's charged boxes, its lines tied to the boxes' journal entries, to the fen; it is paid like a
 * campaign's.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let orchard: { id: string; user: Caller };

const setChinaTime = (iso: string) => {
  clock.offsetMs = DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toMillis() - Date.now();
};
const weekJob = async () => {
  await t.db.transaction((tx) => t.app.jobs.enqueue(tx, 'payouts.make-week-statements', {}));
  await runDue(t, clock);
};
const statementsOf = async () => (await t.http.get('/v1/statements?limit=100').set(orchard.user.auth).expect(200)).body.items as Record<string, string>[];

beforeAll(async () => {
  clock = new TestClock();
  setChinaTime('2027-03-01T09:00');
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  orchard = await aFactory(t, operator, 'orchard');
  for (const fruit of (await t.http.get('/v1/fruits').expect(200)).body.items) {
    await t.http.patch(`/v1/fruits/${fruit.id}`).set(operator.auth).send({ orchardId: orchard.id }).expect(200);
  }
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

test("a week's charged boxes make the orchard's statement once the week has ended: the fruit's cost, to the fen, each box's entry listed; it is paid like any statement", async () => {
  const subscriptions = [];
  for (const householdSize of [2, 3]) {
    const consumer = await aConsumer(t);
    const res = await t.http
      .post('/v1/subscriptions')
      .set(consumer.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ planId: 'weekly-family', startDate: '2027-03-01', deliveryWeekday: 6, region: 'shanghai', householdSize })
      .expect(201);
    subscriptions.push(res.body.id as string);
  }
  setChinaTime('2027-03-03T20:05');
  await t.app.services.boxCharges.lockDue();
  const boxes = (await t.db.read((tx) => tx.query("SELECT id, payment_id, cost_fen, ship_date FROM fruit_boxes WHERE status = 'locked' ORDER BY id"))) as {
    id: string;
    payment_id: string;
    cost_fen: string | number;
    ship_date: string;
  }[];
  expect(boxes.map((b) => b.ship_date)).toEqual(['2027-03-05', '2027-03-05']);
  const payableBefore = await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.factoryPayable(orchard.id)));
  for (const box of boxes) await t.http.post(`/v1/payments/${box.payment_id}/sandbox/complete`).set(operator.auth).expect(200);
  const cost = sum(boxes.map((b) => fromFen(String(b.cost_fen))));

  // Sunday of the ship week: not ended yet.
  setChinaTime('2027-03-07T23:00');
  await weekJob();
  expect(await statementsOf()).toEqual([]);

  setChinaTime('2027-03-08T03:00');
  await weekJob();
  const [statement, ...more] = await statementsOf();
  expect(more).toEqual([]);
  expect(statement).toMatchObject({
    campaignId: null,
    campaignTitle: null,
    period: '2027-W09',
    sequence: 1,
    fruitSupplied: formatMoney(cost),
    balancesReceived: '0.00',
    platformFee: '0.00',
    adjustments: '0.00',
    net: formatMoney(cost),
    entryCount: 2,
  });
  const payable = (await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.factoryPayable(orchard.id)))).minus(payableBefore).negated();
  expect(formatMoney(payable)).toBe(statement.net);
  const entries = await t.http.get(`/v1/statements/${statement.id}/entries`).set(orchard.user.auth).expect(200);
  expect(entries.body.items.map((e: { boxId: string; kind: string; fruitSupplied: string }) => [e.boxId, e.kind, e.fruitSupplied]).sort()).toEqual(
    boxes.map((b) => [b.id, 'box_charged', formatMoney(fromFen(String(b.cost_fen)))]).sort(),
  );
  const notices = await t.http.get('/v1/me/notifications?lang=en').set(orchard.user.auth).expect(200);
  expect(notices.body.items[0].message).toBe(`The settlement statement for the fruit boxes of 2027-W09 is ready: ¥${statement.net} payable to you.`);

  // The job again, and a week later (it looks back four weeks): nothing counted twice.
  await weekJob();
  setChinaTime('2027-03-15T03:00');
  await weekJob();
  expect((await statementsOf()).filter((s) => s.period === '2027-W09')).toHaveLength(1);

  const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set('Idempotency-Key', randomUUID()).expect(201);
  const payout = batch.body.payouts.find((p: { factoryId: string }) => p.factoryId === orchard.id);
  expect(payout.amount).toBe(statement.net);
  await t.http
    .post(`/v1/payout-batches/${batch.body.id}/approve`)
    .set(operator.auth)
    .set('Idempotency-Key', randomUUID())
    .send({ method: 'sandbox' })
    .expect(200);
  await runDue(t, clock);
  await t.http.post(`/v1/payouts/${payout.id}/confirm`).set(operator.auth).set('Idempotency-Key', randomUUID()).expect(200);
  expect((await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.factoryPayable(orchard.id)))).equals(payableBefore)).toBe(true);
});

test("a box with fruit of two orchards: each orchard's statement of the week owes it exactly its fruit, and the job again changes nothing", async () => {
  // Half the fruit grows in a second orchard: a family box holds fruit of both, its one charged entry owes each of them.
  const other = await aFactory(t, operator, 'orchard');
  const orchards = [orchard, other];
  const fruits = (await t.http.get('/v1/fruits').expect(200)).body.items as { id: string }[];
  for (const [i, fruit] of fruits.entries())
    await t.http
      .patch(`/v1/fruits/${fruit.id}`)
      .set(operator.auth)
      .send({ orchardId: orchards[i % 2].id })
      .expect(200);
  const payables = () => t.db.read((tx) => Promise.all(orchards.map((o) => t.app.services.ledger.balance(tx, accounts.factoryPayable(o.id)))));
  const statementsOfWeek = async (o: { user: Caller }) =>
    ((await t.http.get('/v1/statements?limit=100').set(o.user.auth).expect(200)).body.items as Record<string, string>[]).filter((s) => s.period === '2027-W12');

  setChinaTime('2027-03-16T09:00');
  const consumer = await aConsumer(t);
  const subscription = await t.http
    .post('/v1/subscriptions')
    .set(consumer.auth)
    .set('Idempotency-Key', randomUUID())
    .send({ planId: 'weekly-family', startDate: '2027-03-22', deliveryWeekday: 6, region: 'shanghai', householdSize: 3 })
    .expect(201);
  const before = await payables();
  setChinaTime('2027-03-24T20:05');
  await t.app.services.boxCharges.lockDue();
  const boxes = (await t.db.read((tx) =>
    tx.query("SELECT id, payment_id, ship_date FROM fruit_boxes WHERE status = 'locked' AND subscription_id = ?", [subscription.body.id]),
  )) as { id: string; payment_id: string; ship_date: string }[];
  expect(boxes.map((b) => b.ship_date)).toEqual(['2027-03-26']);
  await t.http.post(`/v1/payments/${boxes[0].payment_id}/sandbox/complete`).set(operator.auth).expect(200);
  const owed = (await payables()).map((balance, i) => balance.minus(before[i]).negated());
  expect(owed.every((o) => o.greaterThan(0))).toBe(true);

  setChinaTime('2027-03-29T03:00');
  await weekJob();
  const made = await Promise.all(orchards.map(statementsOfWeek));
  expect(made.map((list) => list.map((s) => [s.sequence, s.fruitSupplied, s.net, s.entryCount]))).toEqual(
    owed.map((o) => [[1, formatMoney(o), formatMoney(o), 1]]),
  );
  for (const [i, [statement]] of made.entries()) {
    const entries = await t.http.get(`/v1/statements/${statement.id}/entries`).set(orchards[i].user.auth).expect(200);
    expect(entries.body.items.map((e: { boxId: string; kind: string; net: string }) => [e.boxId, e.kind, e.net])).toEqual([
      [boxes[0].id, 'box_charged', formatMoney(owed[i])],
    ]);
  }

  await weekJob();
  expect(await Promise.all(orchards.map(statementsOfWeek))).toEqual(made);
});

test('a week whose statements fail is logged and the job fails, but the other weeks it looks back on are made all the same', async () => {
  setChinaTime('2027-03-30T09:00');
  const consumer = await aConsumer(t);
  const subscription = await t.http
    .post('/v1/subscriptions')
    .set(consumer.auth)
    .set('Idempotency-Key', randomUUID())
    .send({ planId: 'weekly-family', startDate: '2027-04-05', deliveryWeekday: 6, region: 'shanghai', householdSize: 2 })
    .expect(201);
  setChinaTime('2027-04-07T20:05');
  await t.app.services.boxCharges.lockDue();
  const [box] = (await t.db.read((tx) =>
    tx.query("SELECT payment_id, ship_date FROM fruit_boxes WHERE status = 'locked' AND subscription_id = ?", [subscription.body.id]),
  )) as { payment_id: string; ship_date: string }[];
  expect(box.ship_date).toBe('2027-04-09');
  await t.http.post(`/v1/payments/${box.payment_id}/sandbox/complete`).set(operator.auth).expect(200);

  // Monday of W16: the job looks back on W15 (which fails here), then W14 (the box's week), W13 and W12.
  setChinaTime('2027-04-19T03:00');
  const statements = t.app.services.payouts.statements;
  const makeWeek = statements.makeWeek.bind(statements);
  const failing = jest.spyOn(statements, 'makeWeek').mockImplementation(async (week) => {
    if (week === '2027-W15') throw new Error('the week of 2027-W15 failed');
    return makeWeek(week);
  });
  const warn = jest.fn();
  try {
    await expect(statements.makeWeeks(4, { warn } as unknown as Logger)).rejects.toThrow('the week of 2027-W15 failed');
  } finally {
    failing.mockRestore();
  }
  expect(warn).toHaveBeenCalledWith(expect.objectContaining({ week: '2027-W15' }), expect.any(String));
  expect((await statementsOf()).filter((s) => s.period === '2027-W14').map((s) => s.entryCount)).toEqual([1]);
});
