import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PayoutRow, StatementRow } from '../../src/payouts';
import { sum } from '../../src/platform/money';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * Property: whatever operators, the payout provider and the clock do, in any order (campaigns completing,
 * batches made and approved by sandbox or bank file, transfers declined, returned, retried, confirmed), the
 * ledger reconciles after every step, no statement is in two payouts, and no factory is ever paid more than
 * its statements say it earned.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factories: { id: string; user: Caller }[];
beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factories = [await aFactory(t, operator), await aFactory(t, operator)];
  for (const [i, f] of factories.entries()) {
    await t.http
      .put(`/v1/factories/${f.id}/payee`)
      .set(operator.auth)
      .send({ accountName: `Factory ${i}`, accountNumber: `622202020011223344${i}`, bankName: 'ICBC', bankCode: '102331000013' })
      .expect(200);
  }
});
afterAll(() => t.close());

type Command =
  | { kind: 'complete'; factory: number; pays: boolean }
  | { kind: 'batch' | 'run' | 'wait' | 'decline' | 'returning' }
  | { kind: 'approve'; method: 'sandbox' | 'bank_file' }
  | { kind: 'fail' | 'retry' | 'confirm'; pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), factory: fc.nat(1), pays: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('batch' as const, 'run' as const, 'wait' as const, 'decline' as const, 'returning' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('approve' as const), method: fc.constantFrom('sandbox' as const, 'bank_file' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('fail' as const, 'retry' as const, 'confirm' as const), pick: fc.nat(9) }) },
);

const key = () => ({ 'Idempotency-Key': randomUUID() });

/** A campaign of the factory completed: one pledge, its balance paid or its deposit forfeited. */
async function completed(factoryId: string, pays: boolean): Promise<void> {
  const consumer = await aConsumer(t);
  const c = await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
  const p = await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1);
  await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
  if (pays) await payBalance(t, consumer, p.id);
  await advance(t, clock, 49 * 3600_000);
}

const payoutsIn = (status: PayoutRow['status']) => t.db.read((tx) => tx.find(PayoutRow, { where: { status }, order: { id: 'ASC' } }));

async function run(commands: Command[]): Promise<void> {
  const sandbox = t.app.services.payouts.sandbox!;
  let returning = false;
  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'complete':
        await completed(factories[cmd.factory].id, cmd.pays);
        break;
      case 'batch':
        expect([201, 409]).toContain((await t.http.post('/v1/payout-batches').set(operator.auth).set(key())).status);
        break;
      case 'approve': {
        const [batch] = (await t.http.get('/v1/payout-batches?limit=100').set(operator.auth).expect(200)).body.items.filter(
          (b: { status: string }) => b.status === 'awaiting_approval',
        );
        if (batch) await t.http.post(`/v1/payout-batches/${batch.id}/approve`).set(operator.auth).set(key()).send({ method: cmd.method }).expect(200);
        break;
      }
      case 'run':
        await runDue(t, clock);
        break;
      case 'wait':
        await advance(t, clock, 61_000);
        break;
      case 'decline':
        sandbox.failNext(1);
        break;
      case 'returning':
        // Sent transfers come back returned until the next 'returning' (each one then waits for an operator's retry).
        returning = !returning;
        sandbox.failTransfers(returning);
        break;
      case 'fail':
      case 'confirm': {
        const sent = await payoutsIn('sent');
        const target = sent[cmd.pick % Math.max(sent.length, 1)];
        if (!target) break;
        const res =
          cmd.kind === 'fail'
            ? await t.http.post(`/v1/payouts/${target.id}/fail`).set(operator.auth).send({ reason: 'returned by the bank' })
            : await t.http.post(`/v1/payouts/${target.id}/confirm`).set(operator.auth).set(key());
        expect(res.status).toBe(200);
        break;
      }
      case 'retry': {
        const failed = await payoutsIn('failed');
        const target = failed[cmd.pick % Math.max(failed.length, 1)];
        if (target) expect((await t.http.post(`/v1/payouts/${target.id}/retry`).set(operator.auth).set(key())).status).toBe(200);
        break;
      }
    }
    await expectLedgerReconciles(t);
    const [statements, confirmed] = await t.db.read((tx) => Promise.all([tx.find(StatementRow), tx.find(PayoutRow, { where: { status: 'confirmed' } })]));
    for (const f of factories) {
      const earned = sum(statements.filter((s) => s.factoryId === f.id).map((s) => s.net));
      const paid = sum(confirmed.filter((p) => p.factoryId === f.id).map((p) => p.amount));
      expect({ factory: f.id, overpaid: paid.greaterThan(earned) }).toEqual({ factory: f.id, overpaid: false });
    }
  }
  sandbox.failTransfers(false);
}

test('random sequences of completions, batches, approvals, declines, returns, retries and confirmations keep every ledger invariant and never overpay', async () => {
  await completed(factories[0].id, true);
  await completed(factories[1].id, false);
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 14 }), run), { numRuns: 25 });
}, 600_000);
