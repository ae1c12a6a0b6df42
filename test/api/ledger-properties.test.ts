import fc from 'fast-check';
import { CampaignRow } from '../../src/campaigns';
import { PaymentRow } from '../../src/payments';
import { PledgeRow } from '../../src/pledges';
import { AppError } from '../../src/platform/http';
import { startTestApp, type TestApp } from '../support/app';
import { aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * Property: whatever consumers, the gateway, operators and the clock do, in any order (pledge, pay,
 * fail, replay a notification, cancel, let time pass, close, pay the balance, cancel the campaign),
 * the cap is never exceeded and every ledger invariant holds.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
});
afterAll(() => t.close());

const VARIANTS = [
  { colour: 'black', size: 'M' },
  { colour: 'black', size: 'L' },
  { colour: 'navy', size: 'M' },
  { colour: 'navy', size: 'L' },
];
const CAP = 8;

type Command =
  | { kind: 'pledge'; consumer: number; variant: number; quantity: number }
  | { kind: 'pay' | 'fail' | 'replay' | 'cancel' | 'payBalance'; pledge: number }
  | { kind: 'wait'; minutes: number }
  | { kind: 'close' | 'operatorCancel' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('pledge' as const), consumer: fc.nat(4), variant: fc.nat(3), quantity: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('pay' as const, 'fail' as const, 'replay' as const, 'cancel' as const, 'payBalance' as const),
      pledge: fc.nat(6),
    }),
  },
  // Mostly short waits (deposits expire after 15 minutes), sometimes past the deadline and the balance due time.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      minutes: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 3000 }) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('close' as const, 'operatorCancel' as const) }) },
);

async function run(commands: Command[]): Promise<void> {
  const c = await anOpenCampaign(t, operator, factoryId, clock, {
    maxUnits: CAP,
    perConsumerLimit: 4,
    variantMinUnits: 2,
    depositCreditRate: '1.5',
    tiers: [
      { minUnits: 3, unitPrice: '899.00' },
      { minUnits: 6, unitPrice: '799.99' },
    ],
  });
  const consumers = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`);
  const placed: { id: string; userId: string; depositPaymentId: string }[] = [];
  const lastNotification = new Map<number, { headers: Record<string, string>; body: Buffer }>();
  const { pledges, payments, sandbox, campaigns } = t.app.services;
  const notify = async (payment: PaymentRow, outcome: 'succeeded' | 'failed') => {
    const signed = sandbox.notification(payment, outcome, clock.now());
    await payments.handleNotification('sandbox', signed.headers, signed.body);
    return signed;
  };
  const payment = (id: string) => t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));

  for (const cmd of commands) {
    const target = 'pledge' in cmd ? placed[cmd.pledge % Math.max(placed.length, 1)] : undefined;
    try {
      switch (cmd.kind) {
        case 'pledge': {
          const { pledge } = await pledges.placement.create({ role: 'consumer', userId: consumers[cmd.consumer] }, c.id, {
            variant: VARIANTS[cmd.variant],
            quantity: cmd.quantity,
          });
          placed.push({ id: pledge.id, userId: pledge.userId, depositPaymentId: pledge.depositPaymentId });
          break;
        }
        case 'pay':
        case 'fail':
          if (target) lastNotification.set(cmd.pledge, await notify(await payment(target.depositPaymentId), cmd.kind === 'pay' ? 'succeeded' : 'failed'));
          break;
        case 'replay': {
          const signed = lastNotification.get(cmd.pledge);
          if (signed) await payments.handleNotification('sandbox', signed.headers, signed.body);
          break;
        }
        case 'cancel':
          if (target) await pledges.cancellation.cancel({ role: 'consumer', userId: target.userId }, target.id);
          break;
        case 'payBalance':
          if (target) await notify((await pledges.payments.balancePayment({ role: 'consumer', userId: target.userId }, target.id)).payment, 'succeeded');
          break;
        case 'wait':
          await advance(t, clock, cmd.minutes * 60_000);
          break;
        case 'close':
          await campaigns.closeNow(c.id);
          await runDue(t, clock);
          break;
        case 'operatorCancel':
          await t.app.services.decisions.cancel(c.id);
          await runDue(t, clock);
          break;
      }
    } catch (error) {
      // Refusals (409 sold out, not cancellable, …) are part of the game; anything else is a bug.
      if (!(error instanceof AppError) || error.status >= 500) throw error;
    }
    const campaign = await t.db.read((tx) => tx.findOneByOrFail(CampaignRow, { id: c.id }));
    expect(campaign.reservedUnits).toBeLessThanOrEqual(CAP);
    const held = await t.db.read((tx) => tx.find(PledgeRow, { where: { campaignId: c.id } }));
    if (['scheduled', 'open'].includes(campaign.status)) {
      const reserved = held.filter((p) => ['awaiting_deposit', 'active'].includes(p.status)).reduce((n, p) => n + p.quantity, 0);
      expect(campaign.reservedUnits).toBe(reserved);
    }
  }
  await runDue(t, clock);
  await expectLedgerReconciles(t);
}

test('random sequences of pledge / pay / cancel / close / pay balance / expire keep every ledger invariant and never exceed the cap', async () => {
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), run), { numRuns: 80 });
}, 240_000);
