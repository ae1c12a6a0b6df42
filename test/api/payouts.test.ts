import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { In } from 'typeorm';
import { CampaignRow } from '../../src/campaigns';
import { accounts } from '../../src/ledger';
import { PledgeRow } from '../../src/pledges';
import { Decimal, formatMoney, roundToFen, sum } from '../../src/platform/money';
import { StatementEntryRow, StatementRow } from '../../src/payouts';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * Factory settlements and payouts: a final campaign's statement adds up, line by line, to the ledger's
 * entries to the fen; payouts pay each statement once, through the sandbox or a bank file, and the ledger
 * moves payable to paid only when a payout is confirmed. Reconcile is green after each step.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
const FEE_RATE = '0.05';
beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock, env: { PLATFORM_FEE_RATE: FEE_RATE } });
  operator = await anOperator(t);
});
afterAll(() => t.close());

const BLACK_M = { colour: 'black', size: 'M' };
const NAVY_L = { colour: 'navy', size: 'L' };
const key = () => ({ 'Idempotency-Key': randomUUID() });

const closeAndSettle = async (id: string) => {
  await t.http.post(`/v1/campaigns/${id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
};
const statementsOf = (campaignId: string) => t.db.read((tx) => tx.find(StatementRow, { where: { campaignId } }));
const payableOf = async (factoryId: string) => (await t.db.read((tx) => t.app.services.ledger.balance(tx, accounts.factoryPayable(factoryId)))).negated();

/** Everything owed is paid (so that each test starts from a clean slate of unpaid statements). */
async function payEverything(): Promise<void> {
  const created = await t.http.post('/v1/payout-batches').set(operator.auth).set(key());
  if (created.status === 409) return;
  expect(created.status).toBe(201);
  await t.http.post(`/v1/payout-batches/${created.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
  await runDue(t, clock);
  await advance(t, clock, 61_000);
}

/**
 * A completed campaign of one factory: `paying` pledges pay their balance, the others forfeit their deposit,
 * and one pledge of a variant below its minimum is refunded (which never reaches the factory).
 */
async function aCompletedCampaign(
  factoryId: string,
  terms: { referencePrice: string; depositRate: string; unitPrice: string },
  quantities: number[],
  paying: boolean[],
) {
  const c = await anOpenCampaign(t, operator, factoryId, clock, {
    referencePrice: terms.referencePrice,
    depositRate: terms.depositRate,
    tiers: [{ minUnits: 1, unitPrice: terms.unitPrice }],
    variantMinUnits: 2,
    perConsumerLimit: 10,
  });
  const pledges: { consumer: Caller; id: string }[] = [];
  for (const quantity of quantities) {
    const consumer = await aConsumer(t);
    pledges.push({ consumer, id: (await paidPledge(t, consumer, c.id, BLACK_M, quantity)).id });
  }
  const dropped = await paidPledge(t, await aConsumer(t), c.id, NAVY_L, 1);
  await closeAndSettle(c.id);
  for (const [i, p] of pledges.entries()) if (paying[i]) await payBalance(t, p.consumer, p.id);
  await advance(t, clock, 49 * 3600_000);
  const final = await t.db.read((tx) => tx.find(PledgeRow, { where: { campaignId: c.id } }));
  expect(final.find((p) => p.id === dropped.id)!.status).toBe('refunded');
  return { campaignId: c.id, pledges: final.filter((p) => p.id !== dropped.id) };
}

/** What the statement must say, worked out from the pledges alone (not from the ledger). */
function expectedFigures(pledges: PledgeRow[]) {
  const paid = pledges.filter((p) => p.status === 'paid');
  const forfeited = pledges.filter((p) => p.status === 'forfeited');
  const fee = sum(paid.map((p) => roundToFen(p.deposit.plus(p.balance!).times(FEE_RATE))));
  const balances = sum(paid.map((p) => p.balance!));
  const deposits = sum(paid.map((p) => p.deposit));
  const forfeits = sum(forfeited.map((p) => p.deposit));
  return {
    balancesReceived: formatMoney(balances),
    depositsApplied: formatMoney(deposits),
    depositsForfeited: formatMoney(forfeits),
    platformFee: formatMoney(fee),
    refunds: '0.00',
    adjustments: '0.00',
    net: formatMoney(balances.plus(deposits).plus(forfeits).minus(fee)),
    entryCount: paid.length + forfeited.length,
  };
}

describe('settlement statements', () => {
  test('a completed campaign: one statement whose lines match its pledges and the ledger to the fen; each entry listed with its share; the factory told', async () => {
    const factory = await aFactory(t, operator);
    const { campaignId, pledges } = await aCompletedCampaign(
      factory.id,
      { referencePrice: '999.99', depositRate: '0.13', unitPrice: '877.77' },
      [2, 3, 2],
      [true, false, true],
    );
    expect((await t.db.read((tx) => tx.findOneByOrFail(CampaignRow, { id: campaignId }))).status).toBe('completed');
    const [statement] = await statementsOf(campaignId);
    expect(statement).toBeDefined();

    const res = await t.http.get(`/v1/statements/${statement.id}`).set(factory.user.auth).expect(200);
    expect(res.body).toMatchObject({ ...expectedFigures(pledges), campaignId, factoryId: factory.id, sequence: 1, payoutId: null });
    // The ledger: the factory's payable is the statement's net, to the fen.
    expect(formatMoney(await payableOf(factory.id))).toBe(res.body.net);

    const entries = await t.http.get(`/v1/statements/${statement.id}/entries?limit=100`).set(factory.user.auth).expect(200);
    expect(entries.body.total).toBe(res.body.entryCount);
    expect(entries.body.items.map((e: { kind: string }) => e.kind).sort()).toEqual(['deposit_forfeited', 'purchase_completed', 'purchase_completed']);
    for (const line of ['balanceReceived', 'depositApplied', 'depositForfeited', 'platformFee', 'net'] as const) {
      const total = formatMoney(sum(entries.body.items.map((e: Record<string, string>) => new Decimal(e[line]))));
      expect({ line, total }).toEqual({
        line,
        total:
          res.body[
            {
              balanceReceived: 'balancesReceived',
              depositApplied: 'depositsApplied',
              depositForfeited: 'depositsForfeited',
              platformFee: 'platformFee',
              net: 'net',
            }[line]
          ],
      });
    }

    const csv = await t.http.get(`/v1/statements/${statement.id}/entries?format=csv`).set(factory.user.auth).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.startsWith('\uFEFF')).toBe(true);
    expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(1 + res.body.entryCount);
    const list = await t.http.get('/v1/statements?format=csv').set(factory.user.auth).expect(200);
    expect(list.text).toContain(res.body.net);

    const notices = await t.http.get('/v1/me/notifications').set(factory.user.auth).expect(200);
    expect(notices.body.items.map((n: { kind: string }) => n.kind)).toContain('statement_ready');

    // The job again (a crash, a second worker): nothing new.
    expect(await t.app.services.payouts.statements.make(campaignId)).toEqual([]);
    expect(await statementsOf(campaignId)).toHaveLength(1);
    await expectLedgerReconciles(t);
    await payEverything();
  });

  test('a campaign cancelled after it sold: the refunds (the price back, the fee with it, 定金 compensation) are on its statement, and the net is what the ledger says', async () => {
    const factory = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const alice = await aConsumer(t);
    const bob = await aConsumer(t);
    const a = await paidPledge(t, alice, c.id, BLACK_M, 1);
    await paidPledge(t, bob, c.id, BLACK_M, 2);
    await closeAndSettle(c.id);
    await payBalance(t, alice, a.id);
    await t.http.post(`/v1/campaigns/${c.id}/cancel`).set(operator.auth).set(key()).send({ reason: '工厂停产，活动取消' }).expect(200);
    await runDue(t, clock);

    const [statement] = await statementsOf(c.id);
    const res = await t.http.get(`/v1/statements/${statement.id}`).set(operator.auth).expect(200);
    const pledges = await t.db.read((tx) => tx.find(PledgeRow, { where: { campaignId: c.id } }));
    const paid = pledges.find((p) => p.id === a.id)!;
    const price = paid.deposit.plus(paid.balance!);
    const deposits = sum(pledges.map((p) => p.deposit));
    expect(res.body).toMatchObject({
      balancesReceived: formatMoney(paid.balance!),
      depositsApplied: formatMoney(paid.deposit),
      platformFee: '0.00',
      // The whole price back to alice, and each defaulted deposit once more as compensation.
      refunds: formatMoney(price.plus(deposits)),
      net: formatMoney(deposits.negated()),
    });
    expect(formatMoney(await payableOf(factory.id))).toBe(res.body.net);
    const notices = await t.http.get('/v1/me/notifications?lang=en').set(factory.user.auth).expect(200);
    expect(notices.body.items[0].message).toBe(
      `The settlement statement for "Winter down jacket, joint pre-order" is ready: you owe ¥${formatMoney(deposits)} (refunds and deposit compensation), deducted from your next payouts.`,
    );
    // Owed nothing (it owes): no payout for it.
    const payables = await t.http.get('/v1/payables').set(operator.auth).expect(200);
    expect(payables.body.items.find((p: { factoryId: string }) => p.factoryId === factory.id)).toMatchObject({ unpaidStatements: res.body.net });
    await expectLedgerReconciles(t);
  });

  test('random prices, deposit rates, quantities and who pays: the statement equals its pledges and the ledger, to the fen', async () => {
    const factory = await aFactory(t, operator);
    const fen = (min: number, max: number) => fc.integer({ min, max }).map((n) => formatMoney(new Decimal(n).dividedBy(100)));
    await fc.assert(
      fc.asyncProperty(
        fen(1_000, 999_999),
        // At most 20% of the price may be a deposit (Civil Code art. 586): 9% of the reference price is under it at any discount here.
        fc.integer({ min: 1, max: 9 }).map((n) => `0.0${n}`),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 2, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 4 }),
        async (referencePrice, depositRate, discount, pledges) => {
          const unitPrice = formatMoney(roundToFen(new Decimal(referencePrice).times(discount.toFixed(2))));
          const before = await payableOf(factory.id);
          const { campaignId, pledges: rows } = await aCompletedCampaign(
            factory.id,
            { referencePrice, depositRate, unitPrice },
            pledges.map(([q]) => q),
            pledges.map(([, pays]) => pays),
          );
          const [statement] = await statementsOf(campaignId);
          const res = await t.http.get(`/v1/statements/${statement.id}`).set(factory.user.auth).expect(200);
          expect(res.body).toMatchObject(expectedFigures(rows));
          expect(formatMoney((await payableOf(factory.id)).minus(before))).toBe(res.body.net);
          await expectLedgerReconciles(t);
        },
      ),
      { numRuns: 4 },
    );
    await payEverything();
  }, 240_000);

  test('a final campaign whose entries no statement counts (completed before statements existed) gets its statement from the daily catch-up, once', async () => {
    const factory = await aFactory(t, operator);
    const { campaignId, pledges } = await aCompletedCampaign(
      factory.id,
      { referencePrice: '250.00', depositRate: '0.10', unitPrice: '233.33' },
      [2, 3],
      [true, false],
    );
    // As if it had completed before statements existed.
    await t.db.transaction(async (tx) => {
      const ids = (await tx.find(StatementRow, { where: { campaignId } })).map((s) => s.id);
      await tx.delete(StatementEntryRow, { statementId: In(ids) });
      await tx.delete(StatementRow, { id: In(ids) });
    });
    expect(await t.app.services.payouts.statements.catchUp()).toEqual([campaignId]);
    await runDue(t, clock);
    const [statement, ...more] = await statementsOf(campaignId);
    expect(more).toEqual([]);
    const res = await t.http.get(`/v1/statements/${statement.id}`).set(factory.user.auth).expect(200);
    expect(res.body).toMatchObject(expectedFigures(pledges));
    // Caught up: nothing to do, for it or any other campaign.
    expect(await t.app.services.payouts.statements.catchUp()).toEqual([]);
    await expectLedgerReconciles(t);
    await payEverything();
  });

  test("a factory sees only its own statements and payouts; another's are not found", async () => {
    const a = await aFactory(t, operator);
    const b = await aFactory(t, operator);
    const { campaignId } = await aCompletedCampaign(a.id, { referencePrice: '100.00', depositRate: '0.10', unitPrice: '90.00' }, [2], [true]);
    const [statement] = await statementsOf(campaignId);
    await t.http.get(`/v1/statements/${statement.id}`).set(b.user.auth).expect(404);
    await t.http.get(`/v1/statements/${statement.id}/entries`).set(b.user.auth).expect(404);
    const listed = await t.http.get(`/v1/statements?factoryId=${a.id}`).set(b.user.auth).expect(200);
    expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(statement.id);
    const created = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(201);
    const payout = created.body.payouts.find((p: { factoryId: string }) => p.factoryId === a.id);
    await t.http.get(`/v1/payouts/${payout.id}`).set(b.user.auth).expect(404);
    await t.http.get(`/v1/payouts/${payout.id}`).set(a.user.auth).expect(200);
    expect((await t.http.get('/v1/payouts').set(b.user.auth).expect(200)).body.items).toEqual([]);
    // Only operators pay.
    await t.http.post('/v1/payout-batches').set(a.user.auth).set(key()).expect(403);
    await t.http.post(`/v1/payout-batches/${created.body.id}/approve`).set(a.user.auth).set(key()).send({ method: 'sandbox' }).expect(403);
    await t.http.post(`/v1/payout-batches/${created.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
    await runDue(t, clock);
    await advance(t, clock, 61_000);
    await expectLedgerReconciles(t);
  });
});

describe('payouts', () => {
  test('happy path through the sandbox: batch → approve → sent → confirmed; the ledger moves payable to paid; the factory is told', async () => {
    const factory = await aFactory(t, operator);
    const { campaignId } = await aCompletedCampaign(factory.id, { referencePrice: '555.55', depositRate: '0.15', unitPrice: '500.01' }, [2, 2], [true, false]);
    const [statement] = await statementsOf(campaignId);
    const owed = await payableOf(factory.id);
    expect(formatMoney(owed)).toBe(formatMoney(statement.net));

    const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(201);
    expect(batch.body).toMatchObject({ status: 'awaiting_approval', payoutCount: 1, total: formatMoney(owed) });
    const [payout] = batch.body.payouts;
    expect(payout).toMatchObject({ factoryId: factory.id, amount: formatMoney(owed), status: 'pending' });
    // Claimed: a second batch has nothing to pay.
    const again = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body.code).toBe('nothing_to_pay');
    await expectLedgerReconciles(t);

    await t.http.post(`/v1/payout-batches/${batch.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
    await runDue(t, clock);
    expect((await t.http.get(`/v1/payouts/${payout.id}`).set(factory.user.auth).expect(200)).body).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await payableOf(factory.id)).toEqual(owed);
    await expectLedgerReconciles(t);

    await advance(t, clock, 61_000);
    const confirmed = await t.http.get(`/v1/payouts/${payout.id}`).set(factory.user.auth).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', statementIds: [statement.id] });
    expect((await payableOf(factory.id)).isZero()).toBe(true);
    const payables = await t.http.get('/v1/payables').set(operator.auth).expect(200);
    expect(payables.body.items.find((p: { factoryId: string }) => p.factoryId === factory.id)).toEqual({
      factoryId: factory.id,
      factoryName: expect.stringMatching(/^Factory /),
      unpaidStatements: '0.00',
      inFlight: '0.00',
      paidOut: formatMoney(owed),
    });
    const kinds = (await t.http.get('/v1/me/notifications').set(factory.user.auth).expect(200)).body.items.map((n: { kind: string }) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(['statement_ready', 'payout_sent', 'payout_confirmed']));
    // Confirming again (an operator late with the bank's record) changes nothing.
    await t.http.post(`/v1/payouts/${payout.id}/confirm`).set(operator.auth).set(key()).expect(200);
    expect((await payableOf(factory.id)).isZero()).toBe(true);
    await expectLedgerReconciles(t);
  });

  test('the sandbox declines: the payout is failed, retried by its job, then sent and confirmed once', async () => {
    const factory = await aFactory(t, operator);
    await aCompletedCampaign(factory.id, { referencePrice: '120.00', depositRate: '0.15', unitPrice: '110.00' }, [2], [true]);
    const owed = await payableOf(factory.id);
    const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(201);
    const [payout] = batch.body.payouts;
    t.app.services.payouts.sandbox!.failNext(2);
    await t.http.post(`/v1/payout-batches/${batch.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
    await runDue(t, clock);
    const sent = await t.http.get(`/v1/payouts/${payout.id}`).set(operator.auth).expect(200);
    expect(sent.body).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    await advance(t, clock, 61_000);
    expect((await t.http.get(`/v1/payouts/${payout.id}`).set(operator.auth).expect(200)).body.status).toBe('confirmed');
    expect((await payableOf(factory.id)).isZero()).toBe(true);
    expect(owed.greaterThan(0)).toBe(true);
    await expectLedgerReconciles(t);
  });

  test('bank file: the batch file lists the payee and amount; an operator marks it failed, retries, and confirms it from the bank record', async () => {
    const factory = await aFactory(t, operator);
    await aCompletedCampaign(factory.id, { referencePrice: '300.00', depositRate: '0.10', unitPrice: '288.88' }, [3], [true]);
    const owed = await payableOf(factory.id);
    const payee = { accountName: '某某服装厂', accountNumber: '6222020200112233445', bankName: '中国工商银行杭州分行', bankCode: '102331000013' };
    await t.http.put(`/v1/factories/${factory.id}/payee`).set(operator.auth).send(payee).expect(200);
    expect((await t.http.get(`/v1/factories/${factory.id}/payee`).set(factory.user.auth).expect(200)).body).toMatchObject(payee);

    const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(201);
    const [payout] = batch.body.payouts;
    await t.http.post(`/v1/payout-batches/${batch.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'bank_file' }).expect(200);
    await advance(t, clock, 3600_000);
    const sent = await t.http.get(`/v1/payouts/${payout.id}`).set(operator.auth).expect(200);
    expect(sent.body).toMatchObject({ status: 'sent', method: 'bank_file' });
    const file = await t.http.get(`/v1/payout-batches/${batch.body.id}/bank-file`).set(operator.auth).expect(200);
    expect(file.headers['content-type']).toMatch(/^text\/csv/);
    const row = file.text.split('\r\n')[1];
    expect(row).toBe(`1,${payee.accountNumber},${payee.accountName},${payee.bankName},${payee.bankCode},${formatMoney(owed)},货款结算,${sent.body.reference}`);

    await t.http.post(`/v1/payouts/${payout.id}/fail`).set(operator.auth).send({ reason: '户名不符' }).expect(200);
    expect((await payableOf(factory.id)).equals(owed)).toBe(true);
    await t.http.post(`/v1/payouts/${payout.id}/confirm`).set(operator.auth).set(key()).expect(409);
    await t.http.post(`/v1/payouts/${payout.id}/retry`).set(operator.auth).set(key()).expect(200);
    await runDue(t, clock);
    const resent = await t.http.get(`/v1/payouts/${payout.id}`).set(operator.auth).expect(200);
    expect(resent.body).toMatchObject({ status: 'sent', attempts: 2 });
    expect(resent.body.reference).not.toBe(sent.body.reference);
    await t.http.post(`/v1/payouts/${payout.id}/retry`).set(operator.auth).set(key()).expect(409);
    await t.http.post(`/v1/payouts/${payout.id}/confirm`).set(operator.auth).set(key()).expect(200);
    expect((await payableOf(factory.id)).isZero()).toBe(true);
    await expectLedgerReconciles(t);
  });

  test('many operators at once: one batch takes the statements, one approval sends it, and each factory is paid exactly once', async () => {
    const factories = [await aFactory(t, operator), await aFactory(t, operator)];
    for (const f of factories) await aCompletedCampaign(f.id, { referencePrice: '199.99', depositRate: '0.15', unitPrice: '180.00' }, [2], [true]);
    const owed = await Promise.all(factories.map((f) => payableOf(f.id)));

    const creates = await Promise.all(Array.from({ length: 12 }, () => t.http.post('/v1/payout-batches').set(operator.auth).set(key())));
    expect(creates.map((r) => r.status).sort()).toEqual([201, ...Array(11).fill(409)]);
    const batch = creates.find((r) => r.status === 201)!.body;
    expect(batch.payouts.map((p: { amount: string }) => p.amount).sort()).toEqual(owed.map(formatMoney).sort());

    const approvals = await Promise.all(
      Array.from({ length: 12 }, () => t.http.post(`/v1/payout-batches/${batch.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' })),
    );
    expect(approvals.map((r) => r.status).sort()).toEqual([200, ...Array(11).fill(409)]);
    expect(approvals.filter((r) => r.status === 409).every((r) => r.body.code === 'batch_already_approved')).toBe(true);
    await runDue(t, clock);
    await advance(t, clock, 61_000);
    for (const [i, f] of factories.entries()) {
      expect((await payableOf(f.id)).isZero()).toBe(true);
      const paid = await t.http.get('/v1/payouts').set(f.user.auth).expect(200);
      expect(paid.body.items.map((p: { amount: string; status: string }) => [p.amount, p.status])).toEqual([[formatMoney(owed[i]), 'confirmed']]);
    }
    await expectLedgerReconciles(t);
  });

  test('an after-sale refund after the statement: the next batch nets it, and never pays a factory more than the ledger owes it', async () => {
    await payEverything();
    const factory = await aFactory(t, operator);
    const { campaignId, pledges } = await aCompletedCampaign(
      factory.id,
      { referencePrice: '333.33', depositRate: '0.07', unitPrice: '301.01' },
      [1, 2],
      [true, true],
    );
    const refund = (pledgeId: string) =>
      t.http.post(`/v1/pledges/${pledgeId}/after-sale-refund`).set(operator.auth).set(key()).send({ reason: '质量问题退货' }).expect(200);
    // Refunded after its statement, before the nightly catch-up: the statement says more than the ledger owes.
    await refund(pledges[0].id);
    const owed = await payableOf(factory.id);
    const [first] = await statementsOf(campaignId);
    expect(first.net.greaterThan(owed)).toBe(true);

    const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set(key()).expect(201);
    expect(batch.body.payouts.find((p: { factoryId: string }) => p.factoryId === factory.id).amount).toBe(formatMoney(owed));
    const statements = (await statementsOf(campaignId)).sort((a, b) => a.sequence - b.sequence);
    expect(statements.map((s) => [s.sequence, s.payoutId !== null])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(formatMoney(statements[1].refunds)).toBe(formatMoney(pledges[0].deposit.plus(pledges[0].balance!)));
    await t.http.post(`/v1/payout-batches/${batch.body.id}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }).expect(200);
    await runDue(t, clock);
    await advance(t, clock, 61_000);
    expect((await payableOf(factory.id)).isZero()).toBe(true);

    // A refund not yet on a statement, however a batch is made: the factory's new statement waits rather than be paid in full.
    const other = await aCompletedCampaign(factory.id, { referencePrice: '100.00', depositRate: '0.10', unitPrice: '90.00' }, [2], [true]);
    await refund(pledges[1].id);
    const made = await t.app.services.payouts.payouts.createBatch(operator.userId, randomUUID()).catch((error: { code: string }) => error.code);
    if (typeof made !== 'string') expect(made.payouts.map((p) => p.factoryId)).not.toContain(factory.id);
    expect((await statementsOf(other.campaignId))[0].payoutId).toBeNull();
    await expectLedgerReconciles(t);
    await payEverything();
    expect((await payableOf(factory.id)).isNegative()).toBe(true);
    await expectLedgerReconciles(t);
  });

  test('bad input is a 4xx problem and changes nothing', async () => {
    const problem = (res: { status: number; headers: Record<string, string> }) => {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    };
    const unknown = randomUUID();
    problem(await t.http.post(`/v1/payout-batches/${unknown}/approve`).set(operator.auth).set(key()).send({ method: 'cash' }));
    problem(await t.http.post(`/v1/payout-batches/${unknown}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox', extra: 1 }));
    problem(await t.http.post(`/v1/payout-batches/${unknown}/approve`).set(operator.auth).set(key()).send({ method: 'sandbox' }));
    problem(await t.http.post('/v1/payout-batches/not-an-id/approve').set(operator.auth).set(key()).send({ method: 'sandbox' }));
    problem(await t.http.post('/v1/payout-batches').set(operator.auth));
    problem(await t.http.get('/v1/statements?limit=1000').set(operator.auth));
    problem(await t.http.get('/v1/statements?unpaid=yes').set(operator.auth));
    problem(await t.http.get(`/v1/statements/${unknown}`).set(operator.auth));
    problem(await t.http.post(`/v1/payouts/${unknown}/confirm`).set(operator.auth).set(key()));
    problem(await t.http.post(`/v1/payouts/${unknown}/fail`).set(operator.auth).send({ reason: '' }));
    const factory = await aFactory(t, operator);
    problem(
      await t.http.put(`/v1/factories/${factory.id}/payee`).set(operator.auth).send({ accountName: 'x', accountNumber: '12', bankName: 'y', bankCode: '1' }),
    );
    problem(
      await t.http
        .put(`/v1/factories/${unknown}/payee`)
        .set(operator.auth)
        .send({ accountName: 'x', accountNumber: '12345678', bankName: 'y', bankCode: '102331000013' }),
    );
    problem(await t.http.get(`/v1/factories/${factory.id}/payee`).set(factory.user.auth));
    const ids = (await t.db.read((tx) => tx.find(StatementRow, { where: { factoryId: In([factory.id]) } }))).length;
    expect(ids).toBe(0);
    await expectLedgerReconciles(t);
  });
});
