import { randomUUID } from 'node:crypto';
import { PaymentRow } from '../../src/payments';
import { businessDay } from '../../src/platform/calendar';
import type { TestApp } from './app';
import type { Caller } from './builders';
import type { TestClock } from './clock';

/** The down-jacket campaign of DESIGN.md, small enough for a test, published and open. */
export async function anOpenCampaign(t: TestApp, operator: Caller, factoryId: string, clock: TestClock, overrides: Record<string, unknown> = {}) {
  const draft = await aDraftCampaign(t, operator, factoryId, clock, overrides);
  const published = await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
  return published.body as { id: string; depositPerUnit: string; status: string };
}

/** The same campaign, not published yet: only operators see it. */
export async function aDraftCampaign(t: TestApp, operator: Caller, factoryId: string, clock: TestClock, overrides: Record<string, unknown> = {}) {
  const now = clock.now().getTime();
  const body = {
    factoryId,
    title: 'Winter down jacket, joint pre-order',
    productName: 'Down jacket',
    options: [
      { name: 'colour', values: ['black', 'navy'] },
      { name: 'size', values: ['M', 'L'] },
    ],
    referencePrice: '999.99',
    depositRate: '0.10',
    tiers: [
      { minUnits: 3, unitPrice: '899.00' },
      { minUnits: 5, unitPrice: '699.50' },
    ],
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 3600_000).toISOString(),
    balanceWindowHours: 48,
    expectedShipDate: businessDay(new Date(now + 60 * 86_400_000)),
    ...overrides,
  };
  return (await t.http.post('/v1/campaigns').set(operator.auth).send(body).expect(201)).body as { id: string };
}

export function pledge(t: TestApp, consumer: Caller, campaignId: string, variant: Record<string, string>, quantity: number, key: string = randomUUID()) {
  return t.http.post(`/v1/campaigns/${campaignId}/pledges`).set(consumer.auth).set('Idempotency-Key', key).send({ variant, quantity });
}

/** Pledges and pays the deposit through the sandbox gateway. */
export async function paidPledge(t: TestApp, consumer: Caller, campaignId: string, variant: Record<string, string>, quantity: number) {
  const res = await pledge(t, consumer, campaignId, variant, quantity);
  if (res.status !== 201) throw new Error(`pledge failed: ${res.status} ${JSON.stringify(res.body)}`);
  await sandboxSettles(t, res.body.depositPayment.id);
  return res.body as { id: string; deposit: string; depositPayment: { id: string } };
}

/** The sandbox gateway reports a payment as paid (or declined): its signed notification, sent over HTTP as the gateway sends it. */
export async function sandboxSettles(t: TestApp, paymentId: string, outcome: 'succeeded' | 'failed' = 'succeeded') {
  const payment = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: paymentId }));
  const signed = t.app.services.sandbox.notification(payment, outcome, t.clock.now());
  return t.http.post('/v1/payments/notifications/sandbox').set(signed.headers).send(signed.body.toString('utf8')).expect(200);
}

export async function payBalance(t: TestApp, consumer: Caller, pledgeId: string) {
  const payment = await t.http.post(`/v1/pledges/${pledgeId}/balance-payment`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(201);
  await sandboxSettles(t, payment.body.balancePayment.id);
  return payment.body.balancePayment as { id: string; amount: string };
}

export async function expectLedgerReconciles(t: TestApp): Promise<void> {
  const report = await t.app.reconcile();
  if (!report.ok) throw new Error(`ledger does not reconcile:\n${report.violations.join('\n')}`);
}
