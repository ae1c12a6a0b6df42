import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { PledgeRow } from '../../src/pledges';
import { SubscriptionRow } from '../../src/subscriptions';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import type { TestClock } from '../support/clock';
import { aShopApplication, aShopOwner as aShopOwnerOf } from '../support/shops';
import { subscribe as subscribeThrough } from '../support/subscriptions';

/** Shop owners (docs/shop-owners.md): applications, approval, the shop page, and attribution of pledges and subscriptions. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterAll(() => t.close());

const application = aShopApplication;
const apply = (consumer: Caller, body: object = application()) => t.http.post('/v1/shop-applications').set(consumer.auth).send(body);
const bind = (consumer: Caller, code: string) => t.http.post('/v1/me/shop-binding').set(consumer.auth).send({ code });
const subscribe = (consumer: Caller) => subscribeThrough(t, consumer, clock);
const pledgeShop = (id: string) => t.db.read(async (tx) => (await tx.findOneByOrFail(PledgeRow, { id })).shopId);
const subscriptionShop = (id: string) => t.db.read(async (tx) => (await tx.findOneByOrFail(SubscriptionRow, { id })).shopId);

const aShopOwner = () => aShopOwnerOf(t, operator);

describe('becoming a shop owner', () => {
  test('apply → pending → approved with a code → the shop page shows the chosen public campaigns and plans', async () => {
    const consumer = await aConsumer(t);
    expect((await t.http.get('/v1/me/shop').set(consumer.auth).expect(200)).body).toEqual({ application: null });
    const applied = await apply(consumer).expect(201);
    expect(applied.body).toMatchObject({ status: 'pending', code: null, name: '小芳的果园铺', phone: '+8613812345678', wechatId: 'xiaofang_88' });
    expect((await t.http.get('/v1/me/shop').set(consumer.auth).expect(200)).body.application.status).toBe('pending');
    const pending = (await t.http.get('/v1/shop-applications?status=pending&limit=100').set(operator.auth).expect(200)).body;
    expect(pending.items.map((a: { id: string }) => a.id)).toContain(applied.body.id);

    // Not yet a shop owner: no shop to arrange.
    const refused = await t.http.put('/v1/me/shop').set(consumer.auth).send({ greeting: '', campaignIds: [], planIds: [] }).expect(403);
    expect(refused.body.code).toBe('not_a_shop_owner');

    const approved = (await t.http.post(`/v1/shop-applications/${applied.body.id}/approve`).set(operator.auth).expect(200)).body;
    expect(approved).toMatchObject({ status: 'approved', decidedBy: operator.userId, refusalReason: null });
    expect(approved.code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    expect(approved.decidedAt).not.toBeNull();
    const again = await t.http.post(`/v1/shop-applications/${applied.body.id}/refuse`).set(operator.auth).send({ reason: 'late' }).expect(409);
    expect(again.body.code).toBe('shop_application_decided');

    const open = await anOpenCampaign(t, operator, factoryId, clock, { title: '赣南脐橙 Navel oranges' });
    const draft = (
      await t.http
        .post('/v1/campaigns')
        .set(operator.auth)
        .send({
          factoryId,
          title: 'Draft',
          productName: 'Draft',
          options: [{ name: 'size', values: ['M'] }],
          referencePrice: '10.00',
          depositRate: '0.10',
          tiers: [{ minUnits: 1, unitPrice: '9.00' }],
          opensAt: clock.now().toISOString(),
          closesAt: new Date(clock.now().getTime() + 3600_000).toISOString(),
          balanceWindowHours: 48,
          expectedShipDate: DateTime.fromJSDate(clock.now()).plus({ days: 60 }).toISODate(),
        })
        .expect(201)
    ).body;
    const bad = await t.http
      .put('/v1/me/shop')
      .set(consumer.auth)
      .send({ greeting: '好果子', campaignIds: [open.id, draft.id], planIds: ['no-such-plan'] })
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.campaignIds.1', 'body.planIds.0']);

    const arranged = (
      await t.http
        .put('/v1/me/shop')
        .set(consumer.auth)
        .send({ greeting: '好果子', campaignIds: [open.id], planIds: ['weekly-family'] })
        .expect(200)
    ).body;
    const page = (await t.http.get(`/v1/shops/${approved.code.toLowerCase()}`).expect(200)).body;
    expect(page).toEqual(arranged);
    expect(page).toMatchObject({ code: approved.code, name: '小芳的果园铺', greeting: '好果子' });
    expect(page.campaigns.map((c: { id: string }) => c.id)).toEqual([open.id]);
    expect(page.plans.map((p: { id: string }) => p.id)).toEqual(['weekly-family']);
  });

  test('refused with a reason; the consumer may apply again; one open application at a time', async () => {
    const consumer = await aConsumer(t);
    const first = (await apply(consumer).expect(201)).body;
    const duplicate = await apply(consumer).expect(409);
    expect(duplicate.body.code).toBe('shop_application_open');
    expect(duplicate.body.detail).toMatch(/^你已经/);
    const refused = (await t.http.post(`/v1/shop-applications/${first.id}/refuse`).set(operator.auth).send({ reason: '微信号无法添加' }).expect(200)).body;
    expect(refused).toMatchObject({ status: 'refused', code: null, refusalReason: '微信号无法添加', decidedBy: operator.userId });
    expect((await t.http.get('/v1/me/shop').set(consumer.auth).expect(200)).body.application.refusalReason).toBe('微信号无法添加');
    const second = (await apply(consumer).expect(201)).body;
    expect(second.id).not.toBe(first.id);
    expect((await t.http.get('/v1/me/shop').set(consumer.auth).expect(200)).body.application.id).toBe(second.id);
    const refusedList = (await t.http.get('/v1/shop-applications?status=refused&limit=100').set(operator.auth).expect(200)).body;
    expect(refusedList.items.map((a: { id: string }) => a.id)).toContain(first.id);
  });

  test('concurrent applications of one consumer: exactly one is accepted', async () => {
    const consumer = await aConsumer(t);
    const answers = await Promise.all([1, 2, 3].map(() => apply(consumer)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
  });

  test('bad input: 400 problem+json naming every field; only operators decide; unknown ids and codes 404', async () => {
    const consumer = await aConsumer(t);
    const bad = await apply(consumer, { name: '', phone: '12345', wechatId: 'x', extra: 1 }).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(expect.arrayContaining(['body.name', 'body.phone']));
    // A name of invisible characters only would be a shop page and a share card with no title.
    expect((await apply(consumer, application({ name: '\u200B\u200D' })).expect(400)).body.errors.map((e: { path: string }) => e.path)).toEqual(['body.name']);
    const applied = (await apply(consumer).expect(201)).body;
    await t.http.post(`/v1/shop-applications/${applied.id}/approve`).set(consumer.auth).expect(403);
    await t.http.get('/v1/shop-applications').set(consumer.auth).expect(403);
    await t.http.post(`/v1/shop-applications/${randomUUID()}/approve`).set(operator.auth).expect(404);
    await t.http.post(`/v1/shop-applications/${applied.id}/refuse`).set(operator.auth).send({ reason: '' }).expect(400);
    await t.http.get('/v1/shops/ABCDEF').expect(404);
    await t.http.get('/v1/shops/not-a-code').expect(400);
    await t.http.get('/v1/shop-applications?status=maybe').set(operator.auth).expect(400);
    // A pending application has no shop page.
    await bind(await aConsumer(t), 'ABCDEF').expect(404);
  });

  test("a shop's choice that is not valid names each bad id by its place in the request, repeats included", async () => {
    const { owner } = await aShopOwner();
    const open = await anOpenCampaign(t, operator, factoryId, clock);
    const unknown = randomUUID();
    const bad = await t.http
      .put('/v1/me/shop')
      .set(owner.auth)
      .send({ greeting: '', campaignIds: [open.id, open.id, unknown], planIds: ['weekly-family', 'no-such-plan'] })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.campaignIds.2', 'body.planIds.1']);
  });
});

describe('the application limit', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ clock, env: { SHOP_APPLICATIONS_PER_HOUR: '5' } });
  });
  afterAll(() => limited.close());

  test('applications are rate-limited per account, accepted or not (429 problem+json, Chinese first)', async () => {
    const consumer = await aConsumer(limited);
    const send = () => limited.http.post('/v1/shop-applications').set(consumer.auth).send(application());
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([201, 409, 409, 409, 409, 429]);
    const refused = await send().expect(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('too_many_shop_applications');
    expect(refused.body.detail).toMatch(/^一小时内/);
  });
});

describe('attribution', () => {
  test('first binding wins while it lasts; after it expires another link binds', async () => {
    const a = await aShopOwner();
    const b = await aShopOwner();
    const consumer = await aConsumer(t);
    expect((await t.http.get('/v1/me/shop-binding').set(consumer.auth).expect(200)).body).toEqual({ binding: null });
    const first = (await bind(consumer, a.code).expect(200)).body;
    expect(first.code).toBe(a.code);
    expect(Date.parse(first.expiresAt) - Date.parse(first.boundAt)).toBe(30 * 86_400_000);
    expect((await bind(consumer, b.code).expect(200)).body).toEqual(first);
    expect((await t.http.get('/v1/me/shop-binding').set(consumer.auth).expect(200)).body).toEqual({ binding: first });

    clock.offsetMs += 30 * 86_400_000;
    expect((await t.http.get('/v1/me/shop-binding').set(consumer.auth).expect(200)).body).toEqual({ binding: null });
    const second = (await bind(consumer, b.code).expect(200)).body;
    expect(second.code).toBe(b.code);
  });

  test('a shop owner cannot be bound, to their own shop or another; approval ends a binding', async () => {
    const a = await aShopOwner();
    const b = await aShopOwner();
    for (const code of [a.code, b.code]) {
      const refused = await bind(a.owner, code).expect(409);
      expect(refused.body.code).toBe('shop_owner_not_bindable');
      expect(refused.body.detail).toMatch(/^店主/);
    }
    // A bound consumer who becomes a shop owner is no longer anyone's customer.
    const consumer = await aConsumer(t);
    await bind(consumer, a.code).expect(200);
    const applied = (await apply(consumer).expect(201)).body;
    await t.http.post(`/v1/shop-applications/${applied.id}/approve`).set(operator.auth).expect(200);
    expect((await t.http.get('/v1/me/shop-binding').set(consumer.auth).expect(200)).body).toEqual({ binding: null });
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const placed = await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201);
    expect(await pledgeShop(placed.body.id)).toBeNull();
  });

  test("pledges placed at the same moment each carry their own consumer's shop; a binding that has expired credits nobody", async () => {
    const a = await aShopOwner();
    const b = await aShopOwner();
    const lapsed = await aConsumer(t);
    await bind(lapsed, a.code).expect(200);
    clock.offsetMs += 30 * 86_400_000;
    const [ofA, ofB, unbound] = [await aConsumer(t), await aConsumer(t), await aConsumer(t)];
    await bind(ofA, a.code).expect(200);
    await bind(ofB, b.code).expect(200);
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumers = [ofA, ofB, unbound, lapsed, ofA, ofB, unbound, lapsed];
    const placed = await Promise.all(consumers.map((consumer) => pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)));
    const expected = [a.id, b.id, null, null];
    for (const [i, res] of placed.entries()) expect(await pledgeShop(res.body.id)).toBe(expected[i % 4]);
  });

  test('pledges and subscriptions made after binding carry the shop; those made before do not', async () => {
    const shop = await aShopOwner();
    const consumer = await aConsumer(t);
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const before = await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201);
    const subscribedBefore = await subscribe(consumer).expect(201);
    await bind(consumer, shop.code).expect(200);
    const after = await pledge(t, consumer, c.id, { colour: 'navy', size: 'L' }, 1).expect(201);
    const subscribedAfter = await subscribe(consumer).expect(201);
    expect(await pledgeShop(before.body.id)).toBeNull();
    expect(await subscriptionShop(subscribedBefore.body.id)).toBeNull();
    expect(await pledgeShop(after.body.id)).toBe(shop.id);
    expect(await subscriptionShop(subscribedAfter.body.id)).toBe(shop.id);
    await expectLedgerReconciles(t);
  });

  test('a burst of concurrent pledges of bound consumers, batched together: every one attributed', async () => {
    const shop = await aShopOwner();
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const bound = await Promise.all(Array.from({ length: 10 }, () => aConsumer(t)));
    const unbound = await Promise.all(Array.from({ length: 5 }, () => aConsumer(t)));
    await Promise.all(bound.map((consumer) => bind(consumer, shop.code).expect(200)));
    const placed = await Promise.all(
      [...bound, ...unbound].flatMap((consumer) => [1, 2, 3].map(() => pledge(t, consumer, c.id, { colour: 'black', size: 'L' }, 1).expect(201))),
    );
    const ids = placed.map((r) => r.body.id as string);
    const shops = await Promise.all(ids.map(pledgeShop));
    expect(shops.slice(0, 30)).toEqual(Array(30).fill(shop.id));
    expect(shops.slice(30)).toEqual(Array(15).fill(null));
    await expectLedgerReconciles(t);
  });
});
