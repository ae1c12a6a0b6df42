import { randomUUID } from 'node:crypto';
import { PaymentRow, RefundRow, SandboxGateway } from '../../src/payments';
import type { CheckoutChannel, CheckoutRequest } from '../../src/payments/gateway';
import { parseMoney } from '../../src/platform/money';
import { startTestApp, type TestApp } from './app';
import { aConsumer, aFactory, anOperator, type Caller } from './builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from './campaigns';
import { TestClock, runDue } from './clock';

/** What a payments test file works with: the app on a test clock, an operator, a factory, and a second provider. */
export interface PaymentsBed {
  t: TestApp;
  clock: TestClock;
  operator: Caller;
  factoryId: string;
  /** A second sandbox, named `sandbox-b`, playing another provider (WeChat Pay beside Alipay, say). */
  other: SandboxGateway;
}

/**
 * Starts the app before the file's tests (with `env` over the test defaults) and closes it after; the
 * ledger must reconcile after every test. The fields are there once the tests run.
 */
export function paymentsBed(env: Record<string, string> = {}): PaymentsBed {
  const bed = { clock: new TestClock() } as PaymentsBed;
  beforeAll(async () => {
    bed.other = new SandboxGateway('second-sandbox-secret-for-tests-0123456789', 300, { clock: bed.clock, sheet: true, name: 'sandbox-b' });
    bed.t = await startTestApp({ clock: bed.clock, env, gateways: [bed.other] });
    bed.operator = await anOperator(bed.t);
    bed.factoryId = (await aFactory(bed.t, bed.operator)).id;
  });
  afterEach(() => expectLedgerReconciles(bed.t));
  afterAll(() => bed.t.close());
  return bed;
}

/** Delivers a provider's signed notification over HTTP, byte for byte, to that provider's endpoint. */
export function deliver(t: TestApp, provider: string, signed: { headers: Record<string, string>; body: Buffer }) {
  return t.http.post(`/v1/payments/notifications/${provider}`).set(signed.headers).send(signed.body.toString('utf8'));
}

/** A new consumer's pledge on a new campaign, its deposit not paid yet. */
export async function anUnpaidDeposit(bed: PaymentsBed) {
  const { t } = bed;
  const c = await anOpenCampaign(t, bed.operator, bed.factoryId, bed.clock);
  const consumer = await aConsumer(t);
  const placed = (await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)).body;
  const deposit = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: placed.depositPayment.id }));
  return { consumer, campaignId: c.id, pledgeId: placed.id as string, deposit };
}

/**
 * 定金双倍返还 at a real provider: a campaign succeeds with `pledges` consumers whose deposits were checked
 * out at `provider` and paid there (by `pay`, playing the payer), and the operator then cancels it. Its
 * jobs have run: each deposit's refund and its compensation have been sent. Answers each deposit with
 * its two refunds.
 */
export async function aCampaignCancelledAfterSuccess(
  bed: Pick<PaymentsBed, 't' | 'clock' | 'operator' | 'factoryId'>,
  provider: string,
  pay: (paymentId: string) => Promise<unknown>,
  pledges = 2,
) {
  const { t, clock, operator } = bed;
  const c = await anOpenCampaign(t, operator, bed.factoryId, clock, { tiers: [{ minUnits: pledges, unitPrice: '899.00' }] });
  const deposits: { consumer: Caller; pledgeId: string; payment: PaymentRow }[] = [];
  for (let i = 0; i < pledges; i++) {
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)).body;
    await t.http.post(`/v1/payments/${placed.depositPayment.id}/checkout`).set(consumer.auth).send({ provider, channel: 'qr' }).expect(200);
    await pay(placed.depositPayment.id);
    deposits.push({ consumer, pledgeId: placed.id, payment: await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: placed.depositPayment.id })) });
  }
  await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
  await t.http.post(`/v1/campaigns/${c.id}/cancel`).set(operator.auth).set('Idempotency-Key', randomUUID()).send({ reason: '工厂停产，活动取消' }).expect(200);
  await runDue(t, clock);
  return Promise.all(
    deposits.map(async (deposit) => {
      const refunds = await t.db.read((tx) => tx.findBy(RefundRow, { paymentId: deposit.payment.id }));
      const refund = refunds.find((r) => r.reason === 'campaign_cancelled')!;
      const compensation = refunds.find((r) => r.reason === 'deposit_compensation')!;
      if (refunds.length !== 2 || !refund || !compensation)
        throw new Error(`deposit ${deposit.payment.id} has refunds ${refunds.map((r) => r.reason).join(', ')}`);
      return { ...deposit, refund, compensation };
    }),
  );
}

/** A checkout asked of a provider's adapter directly: a new payment of `amount`, open for 15 minutes from `now`. */
export function aCheckoutRequest(channel: CheckoutChannel, amount: string, now: Date, extra: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    paymentId: randomUUID(),
    description: '羽绒服 定金',
    amount: parseMoney(amount),
    currency: 'CNY',
    channel,
    expiresAt: new Date(now.getTime() + 15 * 60_000),
    returnUrl: 'https://shop.example.com/pay/done',
    ...extra,
  };
}
