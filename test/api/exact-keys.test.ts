import { randomUUID } from 'node:crypto';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import type { TestClock } from '../support/clock';
import type { TestApp } from '../support/app';
import { aShopOwner } from '../support/shops';

/**
 * Keys that tell records apart are compared exactly, on MySQL as on SQLite: MySQL's default collation
 * (utf8mb4_unicode_ci) takes "S" and "s", "Café" and "Cafe", and any two emoji as equal, which merged what a
 * person sees as two different things (migrations/1766600000000-exact-keys.ts).
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterAll(() => t.close());

test('variants whose values differ only in case, accents or emoji are counted apart', async () => {
  const values = ['S', 's', 'Café', 'Cafe', '🍎', '🍊'];
  const c = await anOpenCampaign(t, operator, factoryId, clock, { options: [{ name: 'flavour', values }], maxUnits: 100 });
  const consumer = await aConsumer(t);
  for (const [i, flavour] of values.entries()) await pledge(t, consumer, c.id, { flavour }, i + 1).expect(201);

  const progress = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.progress;
  expect(progress.variants).toEqual(expect.arrayContaining(values.map((v, i) => ({ variant: `flavour=${v}`, paidUnits: 0, reservedUnits: i + 1 }))));
  expect(progress.reservedUnits).toBe(21);
  await expectLedgerReconciles(t);
});

test('Idempotency-Keys that differ only in case are two requests: two pledges, not a replay or a refusal', async () => {
  const c = await anOpenCampaign(t, operator, factoryId, clock);
  const consumer = await aConsumer(t);
  const key = `Order-${randomUUID()}`;
  const first = await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1, key).expect(201);
  const second = await pledge(t, consumer, c.id, { colour: 'navy', size: 'L' }, 2, key.toUpperCase()).expect(201);
  expect(second.body.id).not.toBe(first.body.id);
  // The same key again is still the same request: the first pledge replayed.
  expect((await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1, key).expect(201)).body.id).toBe(first.body.id);
});

test('红黑榜: brands whose names differ only in accents or emoji are different subjects', async () => {
  const { owner } = await aShopOwner(t, operator);
  const mark = (subject: string, color: string) =>
    t.http.put('/v1/marks/mine').set(owner.auth).send({ kind: 'brand', subject, color, reason: '试过了' }).expect(200);
  const names = ['🍎牌', '🍊牌', 'Café', 'Cafe'];
  const subjects = [];
  for (const [i, name] of names.entries()) subjects.push((await mark(name, i % 2 ? 'black' : 'red')).body.subject);
  expect(new Set(subjects.map((s) => s.id)).size).toBe(4);
  expect(subjects.map((s) => s.label)).toEqual(names);
});
