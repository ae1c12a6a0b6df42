import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { accounts } from '../../src/ledger';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance } from '../support/campaigns';
import { type TestClock, advance, runDue } from '../support/clock';
import { aShopApplication, aShopOwner as aShopOwnerOf } from '../support/shops';

/**
 * Shop owners' commission statements and payouts (docs/shop-owners.md): commission is pending until its month is
 * settled, then on a monthly statement and payable; payouts go through the factories' payout machinery (batch →
 * approval → sandbox → confirmed), the ledger moving commission payable to paid; a clawback after settlement is a
 * negative line of a later month; commission concentrated on one shop owner's customers is held until an operator
 * releases or voids it. Reconcile is green after each step.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const SETTLE_DAYS = 15;
beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld({
    env: { COMMISSION_SETTLE_DAYS: String(SETTLE_DAYS), COMMISSION_HOLD_SHARE: '0.5', COMMISSION_HOLD_MIN_UNITS: '3' },
  }));
});
afterAll(() => t.close());

const key = () => ({ 'Idempotency-Key': randomUUID() });
const BLACK_M = { colour: 'black', size: 'M' };

/** A shop owner named 小林的店 (the name the operators' notice shows). */
const aShopOwner = () => aShopOwnerOf(t, operator, aShopApplication({ name: '小林的店' }));

/** A consumer bound to the shop owner (their link followed). */
async function aCustomerOf(code: string): Promise<Caller> {
  const consumer = await aConsumer(t);
  await t.http.post('/v1/me/shop-binding').set(consumer.auth).send({ code }).expect(200);
  return consumer;
}

/**
 * An open campaign at 99.00 a unit from the first unit (deposit 12.00), with a commission rate: cheap enough that no
 * shop owner here reaches a level whose bonus would change the rate.
 */
async function aRatedCampaign(rate: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const c = await anOpenCampaign(t, operator, factoryId, clock, {
    referencePrice: '120.00',
    tiers: [{ minUnits: 1, unitPrice: '99.00' }],
    perConsumerLimit: 10,
    ...overrides,
  });
  await t.http.put(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).send({ rate }).expect(200);
  return c.id;
}

/** Each buyer pledges (deposit paid); the campaign closes and succeeds; those marked paying pay their balance (a completed purchase). */
async function buy(campaignId: string, buyers: { buyer: Caller; units: number; pays?: boolean }[]): Promise<string[]> {
  const pledges = [];
  for (const { buyer, units, pays } of buyers) pledges.push({ buyer, pays: pays ?? true, id: (await paidPledge(t, buyer, campaignId, BLACK_M, units)).id });
  await t.http.post(`/v1/campaigns/${campaignId}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
  for (const p of pledges) if (p.pays) await payBalance(t, p.buyer, p.id);
  await runDue(t, clock);
  return pledges.map((p) => p.id);
}

/** Moves the test clock to ten days before the next China month (or the one after, if that is past). */
async function lateInTheMonth(): Promise<void> {
  const now = DateTime.fromJSDate(clock.now(), { zone: 'Asia/Shanghai' });
  let target = now.startOf('month').plus({ months: 1 }).minus({ days: 10 });
  if (target <= now) target = target.plus({ months: 1 });
  await advance(t, clock, target.toMillis() - now.toMillis());
}

/** Moves the test clock past the day the current China month is settled (SETTLE_DAYS after it ends), and runs the daily statement job. */
async function settleThisMonth(): Promise<string> {
  const now = DateTime.fromJSDate(clock.now(), { zone: 'Asia/Shanghai' });
  const settledAt = now.startOf('month').plus({ months: 1, days: SETTLE_DAYS, minutes: 1 });
  await advance(t, clock, settledAt.toMillis() - now.toMillis());
  await t.app.services.payouts.shopStatements.makeDue();
  return now.toFormat('yyyy-MM');
}

const commissionOf = async (owner: Caller) => (await t.http.get('/v1/me/shop/earnings').set(owner.auth).expect(200)).body;
const statementsOf = async (owner: Caller) => (await t.http.get('/v1/me/shop/statements').set(owner.auth).expect(200)).body.items;
const linesOf = async (owner: Caller, statementId: string) =>
  (await t.http.get(`/v1/me/shop/statements/${statementId}/lines?limit=100`).set(owner.auth).expect(200)).body;

/** An operator pays everything owed: a batch, approved for the sandbox, sent and confirmed. Answers the batch (null: nothing owed). */
async function payEverything(): Promise<{ payouts: { shopId: string | null; amount: string; id: string }[] } | null> {
  const created = await t.http.post('/v1/payout-batches').set(operator.auth).set(key());
  if (created.status === 409) return null;
  expect(created.status).toBe(201);
  await t.http.post(`/v1/payout-batches/${created.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
  await runDue(t, clock);
  await advance(t, clock, 61_000);
  return created.body;
}

describe("a shop owner's payee", () => {
  test('set by the shop owner, read back masked; not a shop owner: 403', async () => {
    const { owner } = await aShopOwner();
    expect((await t.http.get('/v1/me/shop/payee').set(owner.auth).expect(200)).body).toBeNull();
    const body = { accountName: '林小红', accountNumber: '6222020200112233445', bankName: '中国工商银行上海分行', bankCode: '102290000010' };
    const put = await t.http.put('/v1/me/shop/payee').set(owner.auth).send(body).expect(200);
    expect(put.body).toMatchObject({ accountName: '林小红', accountNumber: '***************3445', bankName: body.bankName, bankCode: body.bankCode });
    expect((await t.http.get('/v1/me/shop/payee').set(owner.auth).expect(200)).body.accountNumber).toBe('***************3445');
    const consumer = await aConsumer(t);
    const refused = await t.http.put('/v1/me/shop/payee').set(consumer.auth).send(body).expect(403);
    expect(refused.body.code).toBe('not_a_shop_owner');
    await t.http
      .put('/v1/me/shop/payee')
      .set(owner.auth)
      .send({ ...body, bankCode: '123' })
      .expect(400);
  });
});

describe('statements and payouts', () => {
  test('earned → pending → settled on the month statement after the settle day → batch → approved → paid; a clawback after settlement is a negative line next month', async () => {
    const { owner, id: shopId, code } = await aShopOwner();
    await t.http
      .put('/v1/me/shop/payee')
      .set(owner.auth)
      .send({ accountName: '林小红', accountNumber: '6222020200112233445', bankName: '工商银行', bankCode: '102290000010' })
      .expect(200);
    await payEverything();

    // Late in a month: a customer's purchase through the link (3% of 99.00) and the shop owner's own (a 1% rebate);
    // another customer of campaign A has not paid the balance, so A can still be cancelled next month.
    await lateInTheMonth();
    // Its balances are due 30 days after it closes: past the day the month is settled.
    const a = await aRatedCampaign('0.03', { balanceWindowHours: 720 });
    await buy(a, [
      { buyer: await aCustomerOf(code), units: 1 },
      { buyer: await aConsumer(t), units: 1, pays: false },
    ]);
    await buy(await aRatedCampaign('0.01'), [{ buyer: owner, units: 1 }]);
    expect(await commissionOf(owner)).toEqual({ pending: '3.96', settled: '0.00', held: '0.00', paid: '0.00' });
    expect((await t.http.get('/v1/me/shop/dashboard').set(owner.auth).expect(200)).body.commission).toEqual({ pending: '3.96', settled: '0.00', paid: '0.00' });
    // Not yet settled: the daily job states nothing, and a batch has nothing of theirs to pay.
    await t.app.services.payouts.shopStatements.makeDue();
    expect(await statementsOf(owner)).toEqual([]);
    await expectLedgerReconciles(t);

    const period = await settleThisMonth();
    const [statement] = await statementsOf(owner);
    expect(statement).toMatchObject({
      shopId,
      period,
      sequence: 1,
      commission: '2.97',
      rebates: '0.99',
      clawedBack: '0.00',
      net: '3.96',
      held: '0.00',
      lineCount: 2,
    });
    const lines = await linesOf(owner, statement.id);
    expect(lines.items.map((l: { kind: string; amount: string }) => [l.kind, l.amount]).sort()).toEqual([
      ['commission_earned', '2.97'],
      ['self_purchase_rebate', '0.99'],
    ]);
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '3.96', held: '0.00', paid: '0.00' });
    // The job again (a crash, a second worker): nothing new.
    expect(await t.app.services.payouts.shopStatements.makeDue()).toEqual([]);
    await expectLedgerReconciles(t);

    const batch = await payEverything();
    const payout = batch!.payouts.find((p) => p.shopId === shopId)!;
    expect(payout).toMatchObject({ shopId, factoryId: null, amount: '3.96' });
    const paid = await t.http.get(`/v1/payouts/${payout.id}`).set(operator.auth).expect(200);
    expect(paid.body).toMatchObject({ status: 'confirmed', statementIds: [statement.id] });
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '3.96' });
    // The dashboard shows the same (ShopEarnings.totalsOf).
    expect((await t.http.get('/v1/me/shop/dashboard').set(owner.auth).expect(200)).body.commission).toEqual({ pending: '0.00', settled: '0.00', paid: '3.96' });
    expect((await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.commissionPayable(shopId)))).isZero()).toBe(true);
    const notices = await t.http.get('/v1/me/notifications').set(owner.auth).expect(200);
    expect(notices.body.items.map((n: { message: string }) => n.message)).toContain('¥3.96 的结算款已到账。');
    await expectLedgerReconciles(t);

    // Campaign A cancelled the next month: the purchase is refunded and its 2.97 clawed back, a negative line of that
    // month's statement, owed by the shop owner.
    await t.http.post(`/v1/campaigns/${a}/cancel`).set(operator.auth).set(key()).send({ reason: '工厂停产，活动取消' }).expect(200);
    await runDue(t, clock);
    expect(await commissionOf(owner)).toEqual({ pending: '-2.97', settled: '0.00', held: '0.00', paid: '3.96' });
    const next = await settleThisMonth();
    const [clawback] = await statementsOf(owner);
    expect(clawback).toMatchObject({ period: next, commission: '0.00', clawedBack: '2.97', net: '-2.97', lineCount: 1 });
    // Owed nothing (they owe): no payout for them until later commission covers it.
    expect((await payEverything())?.payouts.find((p) => p.shopId === shopId)).toBeUndefined();
    await expectLedgerReconciles(t);

    // 2 units at 3%: 5.94, less the 2.97 owed.
    await buy(await aRatedCampaign('0.03'), [{ buyer: await aCustomerOf(code), units: 2 }]);
    await settleThisMonth();
    const third = await payEverything();
    expect(third!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '2.97' });
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '6.93' });
    await expectLedgerReconciles(t);

    const csv = await t.http.get(`/v1/shop-statements/${clawback.id}/lines?format=csv`).set(operator.auth).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.startsWith('\uFEFF')).toBe(true);
    // A negative amount is a number Excel adds up, not text: no apostrophe in front (it is no formula).
    expect(csv.text).toMatch(/(^|,)-2\.97(,|\r\n)/m);
    expect(csv.text).not.toContain("'-2.97");
    const all = await t.http.get(`/v1/shop-statements?shopId=${shopId}`).set(operator.auth).expect(200);
    expect(all.body.total).toBe(3);
    // Another shop owner's statement is not found.
    const other = await aShopOwner();
    await t.http.get(`/v1/me/shop/statements/${clawback.id}/lines`).set(other.owner.auth).expect(404);
  });

  test('two batches made at once pay a statement once', async () => {
    const { owner, id: shopId, code } = await aShopOwner();
    await payEverything();
    await buy(await aRatedCampaign('0.02'), [{ buyer: await aCustomerOf(code), units: 1 }]);
    await settleThisMonth();
    const [a, b] = await Promise.all([
      t.http.post('/v1/payout-batches').set(operator.auth).set(key()),
      t.http.post('/v1/payout-batches').set(operator.auth).set(key()),
    ]);
    const created = [a, b].filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect([a, b].find((r) => r.status !== 201)!.status).toBe(409);
    expect(created[0].body.payouts.filter((p: { shopId: string }) => p.shopId === shopId)).toHaveLength(1);
    await t.http.post(`/v1/payout-batches/${created[0].body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
    await runDue(t, clock);
    await advance(t, clock, 61_000);
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '1.98' });
    await expectLedgerReconciles(t);
  });
});

describe('the concentration hold', () => {
  /** A completed campaign at 3% in which the shop owner's customers bought `theirs` units (a pledge each) and other consumers `others`. */
  async function aCampaignBoughtBy(code: string, theirs: number[], others: number[]): Promise<string> {
    const campaignId = await aRatedCampaign('0.03');
    const buyers = [];
    for (const units of theirs) buyers.push({ buyer: await aCustomerOf(code), units });
    for (const units of others) buyers.push({ buyer: await aConsumer(t), units });
    await buy(campaignId, buyers);
    return campaignId;
  }

  test('held out of payout batches, the operator told in Chinese; released → paid; another voided → taken back, never paid', async () => {
    const { owner, id: shopId, code } = await aShopOwner();
    await payEverything();
    // 4 of 5 completed units through their link: more than half, and at least 3 (11.88 at 3% of 99.00 a unit).
    const concentrated = await aCampaignBoughtBy(code, [2, 2], [1]);
    // 1 of 4: not concentrated (2.97).
    await aCampaignBoughtBy(code, [1], [3]);
    await settleThisMonth();
    const [statement] = await statementsOf(owner);
    expect(statement).toMatchObject({ net: '14.85', held: '11.88' });
    const holds = (await t.http.get('/v1/commission-holds?status=held').set(operator.auth).expect(200)).body.items;
    const hold = holds.find((h: { shopId: string }) => h.shopId === shopId);
    expect(hold).toMatchObject({ campaignId: concentrated, amount: '11.88', shopUnits: 4, totalUnits: 5, status: 'held' });
    const told = (await t.http.get('/v1/me/notifications').set(operator.auth).expect(200)).body.items;
    expect(told.map((n: { message: string }) => n.message)).toContain(
      `店主「小林的店」（${code}）在「Winter down jacket, joint pre-order」的佣金 ¥11.88 已暂扣待审核：该活动已完成的 5 件中有 4 件来自其客户。请在佣金暂扣中放行或作废。`,
    );
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '14.85', held: '11.88', paid: '0.00' });

    // Held: the batch pays only what is not held.
    const first = await payEverything();
    expect(first!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '2.97' });
    expect((await payEverything())?.payouts.find((p) => p.shopId === shopId)).toBeUndefined();
    await expectLedgerReconciles(t);

    await t.http.post(`/v1/commission-holds/${hold.id}/release`).set(operator.auth).send({ reason: '已核实为真实社群订单' }).expect(200);
    await t.http.post(`/v1/commission-holds/${hold.id}/release`).set(operator.auth).send({}).expect(409);
    const second = await payEverything();
    expect(second!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '11.88' });
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '14.85' });
    await expectLedgerReconciles(t);

    // Another month, another campaign bought only through their link (3 units, 8.91): held, and this time voided.
    await aCampaignBoughtBy(code, [3], []);
    await settleThisMonth();
    const again = (await t.http.get('/v1/commission-holds?status=held').set(operator.auth).expect(200)).body.items.find(
      (h: { shopId: string }) => h.shopId === shopId,
    );
    expect(again).toMatchObject({ amount: '8.91', shopUnits: 3, totalUnits: 3 });
    await t.http.post(`/v1/commission-holds/${again.id}/void`).set(operator.auth).send({}).expect(400);
    const voided = await t.http.post(`/v1/commission-holds/${again.id}/void`).set(operator.auth).send({ reason: '同一收货地址大量下单' }).expect(200);
    expect(voided.body).toMatchObject({ status: 'voided', reason: '同一收货地址大量下单' });
    expect((await payEverything())?.payouts.find((p) => p.shopId === shopId)).toBeUndefined();
    expect((await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.commissionPayable(shopId)))).isZero()).toBe(true);
    // What was voided is not shown as settled money still to come (nor as negative pending) while the void awaits its statement.
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '14.85' });
    await expectLedgerReconciles(t);
    // The void entry is a line of the next month's statement, under the voided hold: never paid.
    await settleThisMonth();
    const [last] = await statementsOf(owner);
    expect(last).toMatchObject({ clawedBack: '8.91', net: '-8.91' });
    expect((await linesOf(owner, last.id)).items).toEqual([
      expect.objectContaining({ kind: 'commission_voided', amount: '-8.91', hold: 'voided', payoutId: null }),
    ]);
    expect((await payEverything())?.payouts.find((p) => p.shopId === shopId)).toBeUndefined();
    expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '0.00', held: '0.00', paid: '14.85' });
    await expectLedgerReconciles(t);
  });

  describe('a voided hold and a refund of one of its sales: the commission is taken back once, whichever comes first', () => {
    const owed = (shopId: string) =>
      t.db.read(async (tx) => (await t.app.services.ledger.balance(tx, accounts.commissionPayable(shopId))).negated().toFixed(2));
    const afterSale = (pledgeId: string) =>
      t.http.post(`/v1/pledges/${pledgeId}/after-sale-refund`).set(operator.auth).set(key()).send({ reason: '质量问题退货' }).expect(200);
    /** A held campaign (two customers of the shop, 2 units each: 2 × 5.94) beside a clean one (2.97), stated: answers the hold and the held pledges. */
    async function heldBeside(code: string, shopId: string): Promise<{ holdId: string; held: string[] }> {
      const concentrated = await aRatedCampaign('0.03');
      const held = await buy(concentrated, [
        { buyer: await aCustomerOf(code), units: 2 },
        { buyer: await aCustomerOf(code), units: 2 },
        { buyer: await aConsumer(t), units: 1 },
      ]);
      await buy(await aRatedCampaign('0.03'), [
        { buyer: await aCustomerOf(code), units: 1 },
        { buyer: await aConsumer(t), units: 3 },
      ]);
      await settleThisMonth();
      const hold = (await t.http.get('/v1/commission-holds?status=held').set(operator.auth).expect(200)).body.items.find(
        (h: { shopId: string }) => h.shopId === shopId,
      );
      expect(hold).toMatchObject({ campaignId: concentrated, amount: '11.88' });
      return { holdId: hold.id, held: held.slice(0, 2) };
    }
    const voidHold = (holdId: string) =>
      t.http.post(`/v1/commission-holds/${holdId}/void`).set(operator.auth).send({ reason: '同一收货地址大量下单' }).expect(200);

    test('voided, then a sale refunded: the refund takes nothing more; the clean commission is paid in full, now and next month', async () => {
      const { id: shopId, code } = await aShopOwner();
      await payEverything();
      const { holdId, held } = await heldBeside(code, shopId);
      await voidHold(holdId);
      expect(await owed(shopId)).toBe('2.97');
      await afterSale(held[0]);
      expect(await owed(shopId)).toBe('2.97');
      await expectLedgerReconciles(t);
      expect((await payEverything())!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '2.97' });
      // Next month: a clean sale of 2.97, and nothing of the voided campaign netted against it.
      await buy(await aRatedCampaign('0.03'), [
        { buyer: await aCustomerOf(code), units: 1 },
        { buyer: await aConsumer(t), units: 3 },
      ]);
      await settleThisMonth();
      expect((await payEverything())!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '2.97' });
      expect(await owed(shopId)).toBe('0.00');
      await expectLedgerReconciles(t);
    });

    test('a sale refunded, then the hold voided before the next statement: the void takes back only what is still owed, and nothing is netted later', async () => {
      const { owner, id: shopId, code } = await aShopOwner();
      await payEverything();
      const { holdId, held } = await heldBeside(code, shopId);
      await afterSale(held[0]);
      expect(await owed(shopId)).toBe('8.91');
      await voidHold(holdId);
      expect(await owed(shopId)).toBe('2.97');
      // The voided commission is neither settled money to come nor negative pending: only the clean 2.97 is settled.
      expect(await commissionOf(owner)).toEqual({ pending: '0.00', settled: '2.97', held: '0.00', paid: '0.00' });
      await expectLedgerReconciles(t);
      expect((await payEverything())!.payouts.find((p) => p.shopId === shopId)).toMatchObject({ amount: '2.97' });
      // The clawback and the void are stated next month under the voided hold: never paid, never netted.
      await settleThisMonth();
      expect((await payEverything())?.payouts.find((p) => p.shopId === shopId)).toBeUndefined();
      expect(await owed(shopId)).toBe('0.00');
      await expectLedgerReconciles(t);
    });
  });
});
