import Decimal from 'decimal.js';
import { randomUUID } from 'node:crypto';
import { CommissionEarningRow } from '../../src/commissions';
import { JournalEntryRow } from '../../src/ledger';
import type { TestApp } from '../support/app';
import { aConsumer, aFactory, aFactoryWorld, type Caller } from '../support/builders';
import { aDraftCampaign, anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance } from '../support/campaigns';
import { type TestClock, advance, runDue } from '../support/clock';
import { aShopApplication, aShopOwner as aShopOwnerOf } from '../support/shops';
import { subscribe } from '../support/subscriptions';

/**
 * Shop owners' commission (docs/shop-owners.md § Commission): earned only on a completed purchase through
 * a shop owner's own link, clawed back with its refund, levels by own sales, rebates on own purchases;
 * every amount to the fen, the ledger reconciled after each test.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const black = { colour: 'black', size: 'M' };
const HOUR = 3600_000;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

interface Shop {
  owner: Caller;
  id: string;
  code: string;
}

const aShopOwner = (owner?: Caller): Promise<Shop> => aShopOwnerOf(t, operator, aShopApplication(), owner);

/** A consumer who followed a shop owner's share link (?s=<code>) and was bound to them. */
async function aCustomerOf(shop: Shop): Promise<Caller> {
  const consumer = await aConsumer(t);
  await t.http.post('/v1/me/shop-binding').set(consumer.auth).send({ code: shop.code }).expect(200);
  return consumer;
}

const setRate = (campaignId: string, rate: string) => t.http.put(`/v1/campaigns/${campaignId}/commission-rate`).set(operator.auth).send({ rate });

/** An open campaign at 899.00 a unit from the first unit (deposit 100.00 a unit), with a commission rate. */
async function aRatedCampaign(rate = '0.03', overrides: Record<string, unknown> = {}, factory = factoryId) {
  const c = await anOpenCampaign(t, operator, factory, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }], ...overrides });
  await setRate(c.id, rate).expect(200);
  return c;
}

const closeAndSettle = async (campaignId: string) => {
  await t.http.post(`/v1/campaigns/${campaignId}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
};
const cancelCampaign = async (campaignId: string) => {
  await t.http
    .post(`/v1/campaigns/${campaignId}/cancel`)
    .set(operator.auth)
    .set('Idempotency-Key', randomUUID())
    .send({ reason: '工厂停产，活动取消' })
    .expect(200);
  await runDue(t, clock);
};
/** What the ledger owes a shop owner (commission_payable:<shop>, a liability: credit negated). */
const owed = (shop: Shop) => t.db.read(async (tx) => (await t.app.services.ledger.balance(tx, `commission_payable:${shop.id}`)).negated().toFixed(2));
const entriesOf = (pledgeId: string) =>
  t.db.read(async (tx) =>
    (await tx.find(JournalEntryRow, { where: { pledgeId }, order: { createdAt: 'ASC' } }))
      .map((e) => e.kind)
      .filter((k) => k.startsWith('commission') || k === 'self_purchase_rebate'),
  );
const standing = async (shop: Shop) => (await t.http.get('/v1/me/shop/commission').set(shop.owner.auth).expect(200)).body;

/** A customer's purchase through the shop, completed: deposit paid, campaign closed and succeeded, balance paid. */
async function aCompletedPurchase(customer: Caller, campaignId: string, quantity = 1) {
  const p = await paidPledge(t, customer, campaignId, black, quantity);
  return p;
}

describe('rates', () => {
  test('an operator sets and reads a campaign and a plan rate; rate + the highest level bonus may not exceed the platform fee', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    expect((await t.http.get(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).expect(200)).body).toMatchObject({ rate: '0', setBy: null });
    // The platform fee is 5%; the diamond level adds 1%: 4% is the most a base rate may be.
    const tooHigh = await setRate(c.id, '0.045').expect(400);
    expect(tooHigh.body.code).toBe('commission_rate_too_high');
    expect(tooHigh.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await setRate(c.id, '1.5').expect(400)).body.code).toBe('validation_failed');
    expect((await setRate(c.id, '-0.01').expect(400)).body.code).toBe('validation_failed');
    expect((await setRate(c.id, '0.04').expect(200)).body).toMatchObject({ subject: 'campaign', subjectId: c.id, rate: '0.04', setBy: operator.userId });
    expect((await setRate(c.id, '0.0300').expect(200)).body.rate).toBe('0.03');
    expect((await t.http.get(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).expect(200)).body.rate).toBe('0.03');

    await t.http.put(`/v1/subscription-plans/weekly-family/commission-rate`).set(operator.auth).send({ rate: '0.02' }).expect(200);
    expect((await t.http.get(`/v1/subscription-plans/weekly-family/commission-rate`).set(operator.auth).expect(200)).body).toMatchObject({
      subject: 'plan',
      rate: '0.02',
    });
    await t.http.put(`/v1/subscription-plans/no-such-plan/commission-rate`).set(operator.auth).send({ rate: '0.02' }).expect(404);
    await setRate(randomUUID(), '0.02').expect(404);

    const consumer = await aConsumer(t);
    await t.http.put(`/v1/campaigns/${c.id}/commission-rate`).set(consumer.auth).send({ rate: '0.04' }).expect(403);
    expect((await t.http.get('/v1/me/shop/commission').set(consumer.auth).expect(403)).body.code).toBe('not_a_shop_owner');
  });

  test('operators setting one campaign’s rate at the same moment all succeed, and one rate is kept', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const rates = ['0.01', '0.02', '0.03', '0', '0.015', '0.025', '0.035', '0.005'];
    const answers = await Promise.all(rates.map((rate) => setRate(c.id, rate)));
    expect(answers.map((a) => a.status)).toEqual(rates.map(() => 200));
    const kept = (await t.http.get(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).expect(200)).body.rate;
    expect(rates.map((r) => new Decimal(r).toString())).toContain(new Decimal(kept).toString());
  });

  test('a rate set on a draft is not shown to shop owners until the campaign is published', async () => {
    const shop = await aShopOwner();
    const draft = await aDraftCampaign(t, operator, factoryId, clock, { title: '未发布的新品' });
    await setRate(draft.id, '0.03').expect(200);
    // Only operators know an unpublished campaign: its id and rate are not the share kit's to show.
    expect((await standing(shop)).rates.map((r: { subjectId: string }) => r.subjectId)).not.toContain(draft.id);
    await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    expect((await standing(shop)).rates).toContainEqual({ subject: 'campaign', subjectId: draft.id, baseRate: '0.03', rate: '0.03' });
  });

  test('a final campaign’s rate no longer changes', async () => {
    const c = await aRatedCampaign();
    await cancelCampaign(c.id);
    expect((await setRate(c.id, '0.02').expect(409)).body.code).toBe('campaign_final');
    expect((await t.http.get(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).expect(200)).body.rate).toBe('0.03');
  });
});

describe('earning', () => {
  test('share link → pledge → success → balance: the shop owner earns the rate on the final price, once the balance is paid', async () => {
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await aRatedCampaign('0.03');
    // The share kit shows the shop owner what they earn on the campaign while it runs.
    expect((await standing(shop)).rates).toContainEqual({ subject: 'campaign', subjectId: c.id, baseRate: '0.03', rate: '0.03' });
    const p = await aCompletedPurchase(customer, c.id);
    await closeAndSettle(c.id);
    // Succeeded but not paid: not final money, nothing earned yet.
    expect(await owed(shop)).toBe('0.00');
    expect((await payBalance(t, customer, p.id)).amount).toBe('799.00');
    // 3% of 899.00 (100.00 deposit + 799.00 balance) = 26.97
    expect(await owed(shop)).toBe('26.97');
    expect(await entriesOf(p.id)).toEqual(['commission_earned']);
    const mine = await standing(shop);
    // A completed campaign's rate is no longer in force.
    expect(mine.rates.map((r: { subjectId: string }) => r.subjectId)).not.toContain(c.id);
    expect(mine.standing).toEqual({
      level: 'shop_owner',
      nameZh: '店主',
      bonusRate: '0',
      completedSales: '899.00',
      next: { level: 'gold', nameZh: '金牌店主', salesNeeded: '1101.00' },
    });
  });

  test('the rate in force when the purchase completes applies, not the one when the pledge was made', async () => {
    const shop = await aShopOwner();
    const [early, late] = [await aCustomerOf(shop), await aCustomerOf(shop)];
    const c = await aRatedCampaign('0.01');
    const [a, b] = [await aCompletedPurchase(early, c.id), await aCompletedPurchase(late, c.id)];
    await closeAndSettle(c.id);
    await payBalance(t, early, a.id);
    // 1% of 899.00 = 8.99; then the operator raises the rate to 4% while the second awaits its balance.
    expect(await owed(shop)).toBe('8.99');
    await setRate(c.id, '0.04').expect(200);
    await payBalance(t, late, b.id);
    // + 4% of 899.00 = 35.96
    expect(await owed(shop)).toBe('44.95');
  });

  test('a campaign with no rate earns nothing, but the sale counts toward the level', async () => {
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    const p = await aCompletedPurchase(customer, c.id);
    await closeAndSettle(c.id);
    await payBalance(t, customer, p.id);
    expect(await owed(shop)).toBe('0.00');
    expect(await entriesOf(p.id)).toEqual([]);
    expect((await standing(shop)).standing.completedSales).toBe('899.00');
  });

  test('a failed campaign earns nothing', async () => {
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await aRatedCampaign('0.03', { tiers: [{ minUnits: 5, unitPrice: '899.00' }] });
    const p = await aCompletedPurchase(customer, c.id, 2);
    await closeAndSettle(c.id);
    expect((await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.status).toBe('failed');
    expect(await owed(shop)).toBe('0.00');
    expect(await entriesOf(p.id)).toEqual([]);
    expect((await standing(shop)).standing.completedSales).toBe('0.00');
  });

  test('a forfeited deposit earns nothing', async () => {
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await aRatedCampaign('0.03');
    const p = await aCompletedPurchase(customer, c.id);
    await closeAndSettle(c.id);
    await advance(t, clock, 49 * HOUR);
    expect((await t.http.get(`/v1/pledges/${p.id}`).set(customer.auth).expect(200)).body.status).toBe('forfeited');
    expect(await owed(shop)).toBe('0.00');
    expect(await entriesOf(p.id)).toEqual([]);
  });

  test('a pledge with no shop owner earns no one anything', async () => {
    const c = await aRatedCampaign('0.03');
    const consumer = await aConsumer(t);
    const p = await aCompletedPurchase(consumer, c.id);
    await closeAndSettle(c.id);
    await payBalance(t, consumer, p.id);
    expect(await entriesOf(p.id)).toEqual([]);
    expect(await t.db.read((tx) => tx.countBy(CommissionEarningRow, { pledgeId: p.id }))).toBe(0);
  });
});

describe('clawback', () => {
  test('a campaign cancelled after its purchases completed claws back exactly what each earned; one awaiting its balance had earned nothing', async () => {
    const shop = await aShopOwner();
    const [paidCustomer, waitingCustomer] = [await aCustomerOf(shop), await aCustomerOf(shop)];
    const c = await aRatedCampaign('0.03');
    const paid = await aCompletedPurchase(paidCustomer, c.id, 2);
    const waiting = await aCompletedPurchase(waitingCustomer, c.id, 1);
    await closeAndSettle(c.id);
    await payBalance(t, paidCustomer, paid.id);
    // 3% of 1798.00 = 53.94
    expect(await owed(shop)).toBe('53.94');
    await cancelCampaign(c.id);
    expect(await owed(shop)).toBe('0.00');
    expect(await entriesOf(paid.id)).toEqual(['commission_earned', 'commission_clawed_back']);
    expect(await entriesOf(waiting.id)).toEqual([]);
    expect((await standing(shop)).standing.completedSales).toBe('0.00');
    // Settling again (the job retried) claws back nothing more.
    await runDue(t, clock);
    expect(await entriesOf(paid.id)).toEqual(['commission_earned', 'commission_clawed_back']);
  });
});

describe('after-sale refund (售后退款)', () => {
  const afterSale = (pledgeId: string, key: string = randomUUID()) =>
    t.http.post(`/v1/pledges/${pledgeId}/after-sale-refund`).set(operator.auth).set('Idempotency-Key', key).send({ reason: '质量问题退货' });

  test('refunds a completed purchase in full, reverses the factory share and fee, claws back the commission, and the factory gets a later statement of it', async () => {
    const factory = await aFactory(t, operator);
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await aRatedCampaign('0.03', { title: '冬季羽绒服 · 售后' }, factory.id);
    const p = await aCompletedPurchase(customer, c.id);
    await closeAndSettle(c.id);
    await payBalance(t, customer, p.id);
    await runDue(t, clock);
    const payable = () => t.db.read(async (tx) => (await t.app.services.ledger.balance(tx, `factory_payable:${factory.id}`)).negated().toFixed(2));
    // 899.00 paid: fee 5% = 44.95, the factory is owed 854.05, the shop owner 3% = 26.97.
    expect(await payable()).toBe('854.05');
    expect(await owed(shop)).toBe('26.97');

    const key = randomUUID();
    const refunded = (await afterSale(p.id, key).expect(200)).body;
    expect(refunded).toMatchObject({ id: p.id, status: 'refunded' });
    // The same request again is the same answer; a new one finds nothing left to refund.
    expect((await afterSale(p.id, key).expect(200)).body).toEqual(refunded);
    expect((await afterSale(p.id).expect(409)).body.code).toBe('pledge_not_completed');

    expect(await owed(shop)).toBe('0.00');
    expect(await entriesOf(p.id)).toEqual(['commission_earned', 'commission_clawed_back']);
    expect((await standing(shop)).standing.completedSales).toBe('0.00');
    expect(await payable()).toBe('0.00');
    await runDue(t, clock);
    const refunds = (await t.http.get('/v1/refunds?limit=100').set(operator.auth).expect(200)).body.items.filter(
      (r: { pledgeId: string }) => r.pledgeId === p.id,
    );
    expect(refunds.map((r: { amount: string; reason: string; status: string }) => [r.amount, r.reason, r.status]).sort()).toEqual([
      ['100.00', 'after_sale', 'succeeded'],
      ['799.00', 'after_sale', 'succeeded'],
    ]);
    const told = (await t.http.get('/v1/me/notifications?limit=100').set(customer.auth).expect(200)).body.items.map((n: { message: string }) => n.message);
    expect(told).toContain(`「冬季羽绒服 · 售后」已办理售后退款（质量问题退货），您支付的 ¥899.00 将全额退还。`);

    // The campaign's statement was made when it completed; the daily catch-up makes a second one with the refund.
    await t.app.services.payouts.statements.catchUp();
    await runDue(t, clock);
    const statements = (await t.http.get('/v1/statements?limit=100').set(factory.user.auth).expect(200)).body.items;
    // The second gives the whole price back (899.00) with the fee (−44.95): the factory's net is −854.05, taken from its next payouts.
    expect(
      statements.map((s: { sequence: number; refunds: string; platformFee: string; net: string }) => [s.sequence, s.refunds, s.platformFee, s.net]).sort(),
    ).toEqual([
      [1, '0.00', '44.95', '854.05'],
      [2, '899.00', '-44.95', '-854.05'],
    ]);
  });

  test('a pledge not completed cannot be refunded after sale (409), nor can a consumer ask for it', async () => {
    const c = await aRatedCampaign('0.03');
    const customer = await aConsumer(t);
    const active = await aCompletedPurchase(customer, c.id);
    expect((await afterSale(active.id).expect(409)).body.code).toBe('pledge_not_completed');
    await t.http.post(`/v1/pledges/${active.id}/after-sale-refund`).set(customer.auth).set('Idempotency-Key', randomUUID()).send({ reason: 'x' }).expect(403);
    expect((await afterSale(randomUUID()).expect(404)).body.code).toBe('not_found');
    expect((await t.http.get(`/v1/pledges/${active.id}`).set(customer.auth).expect(200)).body.status).toBe('active');
  });
});

describe('self-purchase (自购省钱)', () => {
  test("a shop owner's own purchase earns a rebate at the base rate, no level bonus, and does not count toward the level", async () => {
    const shop = await aShopOwner();
    const c = await aRatedCampaign('0.03');
    const own = await aCompletedPurchase(shop.owner, c.id, 3);
    await closeAndSettle(c.id);
    await payBalance(t, shop.owner, own.id);
    // 3% of 2697.00 = 80.91, as a rebate, not commission.
    expect(await owed(shop)).toBe('80.91');
    expect(await entriesOf(own.id)).toEqual(['self_purchase_rebate']);
    expect((await standing(shop)).standing).toMatchObject({ level: 'shop_owner', completedSales: '0.00' });
  });

  test('a consumer bound to a shop who became a shop owner before the purchase completed: that shop earns nothing, they get their rebate', async () => {
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const c = await aRatedCampaign('0.03');
    const p = await aCompletedPurchase(customer, c.id);
    // The pledge stays attributed to `shop`; then its consumer becomes a shop owner.
    const own = await aShopOwner(customer);
    await closeAndSettle(c.id);
    await payBalance(t, customer, p.id);
    expect(await owed(shop)).toBe('0.00');
    expect(await owed(own)).toBe('26.97');
    expect(await entriesOf(p.id)).toEqual(['self_purchase_rebate']);
    expect((await standing(shop)).standing.completedSales).toBe('0.00');
  });
});

describe('levels', () => {
  test("a level reached raises only that shop owner's own rate; another shop owner's rate and earnings are unchanged", async () => {
    const [gold, other] = [await aShopOwner(), await aShopOwner()];
    const c = await aRatedCampaign('0.03');
    const big = await aCustomerOf(gold);
    const first = await aCompletedPurchase(big, c.id, 3);
    const c2 = await aRatedCampaign('0.03');
    const [next, othersCustomer] = [await aCustomerOf(gold), await aCustomerOf(other)];
    await closeAndSettle(c.id);
    await payBalance(t, big, first.id);
    // 3% of 2697.00 = 80.91; 2697.00 of own sales reaches 金牌店主 (2000.00).
    expect(await owed(gold)).toBe('80.91');
    const mine = await standing(gold);
    expect(mine.standing).toMatchObject({ level: 'gold', bonusRate: '0.005', completedSales: '2697.00', next: { level: 'diamond', salesNeeded: '7303.00' } });
    expect(mine.rates).toContainEqual({ subject: 'campaign', subjectId: c2.id, baseRate: '0.03', rate: '0.035' });

    const a = await aCompletedPurchase(next, c2.id);
    const b = await aCompletedPurchase(othersCustomer, c2.id);
    await closeAndSettle(c2.id);
    await payBalance(t, next, a.id);
    await payBalance(t, othersCustomer, b.id);
    // gold: 3.5% of 899.00 = 31.465 → 31.47 (half up, once); other: 3% of 899.00 = 26.97.
    expect(await owed(gold)).toBe('112.38');
    expect(await owed(other)).toBe('26.97');
    expect((await standing(other)).standing).toMatchObject({ level: 'shop_owner', completedSales: '899.00' });
    const c3 = await aRatedCampaign('0.02');
    expect((await standing(other)).rates).toContainEqual({ subject: 'campaign', subjectId: c3.id, baseRate: '0.02', rate: '0.02' });
    expect((await standing(gold)).rates).toContainEqual({ subject: 'campaign', subjectId: c3.id, baseRate: '0.02', rate: '0.025' });
  });
});

describe('concurrency', () => {
  test('many customers of one shop pledge at once and pay their balances at once: one commission per pledge, levels counted in order, totals exact', async () => {
    const shop = await aShopOwner();
    const c = await aRatedCampaign('0.03');
    const customers = await Promise.all(Array.from({ length: 20 }, () => aCustomerOf(shop)));
    const pledges = await Promise.all(customers.map((customer) => aCompletedPurchase(customer, c.id)));
    await closeAndSettle(c.id);
    await Promise.all(customers.map((customer, i) => payBalance(t, customer, pledges[i].id)));
    const earnings = await t.db.read((tx) => tx.findBy(CommissionEarningRow, { shopId: shop.id }));
    expect(earnings).toHaveLength(20);
    expect(new Set(earnings.map((e) => e.pledgeId)).size).toBe(20);
    for (const p of pledges) expect(await entriesOf(p.id)).toEqual(['commission_earned']);
    // Each sale is 899.00 and the level is the one before it: sales 1–3 at 3% (26.97), 4–12 at 3.5% (31.47,
    // gold from 2697.00), 13–20 at 4% (35.96, diamond from 10788.00): 80.91 + 283.23 + 287.68.
    expect(earnings.map((e) => e.amount.toFixed(2)).sort()).toEqual([...Array(3).fill('26.97'), ...Array(9).fill('31.47'), ...Array(8).fill('35.96')].sort());
    expect(await owed(shop)).toBe('651.82');
    expect((await standing(shop)).standing).toMatchObject({ level: 'diamond', completedSales: '17980.00', next: null });
  });
});

describe('fruit boxes', () => {
  test("a box of a subscription made through a shop owner's link earns the plan's rate when charged; the shop owner's own box earns the rebate", async () => {
    await t.http.put('/v1/subscription-plans/weekly-family/commission-rate').set(operator.auth).send({ rate: '0.02' }).expect(200);
    const shop = await aShopOwner();
    const customer = await aCustomerOf(shop);
    const theirs = (await subscribe(t, customer, clock).expect(201)).body.id as string;
    const own = (await subscribe(t, shop.owner, clock).expect(201)).body.id as string;
    const firstBox = async (subscriptionId: string) =>
      (
        (await t.http.get('/v1/boxes?limit=100').set(operator.auth).expect(200)).body.items as {
          id: string;
          subscriptionId: string;
          deliveryDate: string;
          cutoffAt: string;
          price: string;
          paymentId: string | null;
          status: string;
        }[]
      )
        .filter((b) => b.subscriptionId === subscriptionId)
        .sort((a, b) => a.deliveryDate.localeCompare(b.deliveryDate))[0];
    const [box, ownBox] = [await firstBox(theirs), await firstBox(own)];
    expect(box.price).toBe('268.00');
    // Past both cutoffs: the boxes are locked and their charges asked for, then paid.
    clock.offsetMs += Math.max(Date.parse(box.cutoffAt), Date.parse(ownBox.cutoffAt)) - clock.now().getTime() + 60_000;
    await t.app.services.boxCharges.lockDue();
    for (const b of [await firstBox(theirs), await firstBox(own)]) {
      expect(b.status).toBe('locked');
      await t.http.post(`/v1/payments/${b.paymentId}/sandbox/complete`).set(operator.auth).expect(200);
    }
    // 2% of 268.00 = 5.36 as commission on the customer's box, and 5.36 as the rebate on the shop owner's own.
    expect(await owed(shop)).toBe('10.72');
    const kinds = await t.db.read(async (tx) =>
      (await tx.find(JournalEntryRow, { where: [{ boxId: box.id }, { boxId: ownBox.id }] }))
        .map((e) => `${e.boxId === box.id ? 'customer' : 'own'} ${e.kind}`)
        .sort(),
    );
    expect(kinds).toEqual(['customer box_charged', 'customer commission_earned', 'own box_charged', 'own self_purchase_rebate']);
    expect((await standing(shop)).standing.completedSales).toBe('268.00');
  });
});
