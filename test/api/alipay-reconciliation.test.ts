import { randomUUID } from 'node:crypto';
import { PaymentRow, RefundRow } from '../../src/payments';
import { businessDay } from '../../src/platform/calendar';
import { parseMoney } from '../../src/platform/money';
import { runDue } from '../support/clock';
import { alipayBed, depositAtAlipay } from '../support/fake-alipay';

/**
 * Active reconciliation with Alipay: a lost notification is found by the query job (alipay.trade.query),
 * and the day's bill (alipay.data.dataservice.bill.downloadurl.query, a zip of GBK CSV files) is compared
 * with our records. Its own app and fake: the comparison reads every trade of the day.
 */
const bed = alipayBed({ timeoutMs: 2000 });
const FIVE_MINUTES = 5 * 60_000;
const paymentRow = (id: string) => bed.t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));

test('a deposit paid at Alipay whose notification was lost is found by the query job a few minutes after its checkout, and settled once', async () => {
  const { t, fake, clock } = bed;
  const { paymentId, no } = await depositAtAlipay(bed);
  fake.loseNextNotifications(1);
  await fake.pay(no, clock.now());
  await t.app.services.reconciliation.queryOpen();
  expect((await paymentRow(paymentId)).status).toBe('pending');
  clock.offsetMs += FIVE_MINUTES;
  await t.app.services.reconciliation.queryOpen();
  expect(await paymentRow(paymentId)).toMatchObject({ status: 'succeeded', transactionId: fake.trade(no).tradeNo, nextQueryAt: null });
  // The notification comes after all: the same money, recorded once.
  expect(await fake.deliver(bed.notifyUrl, fake.notifications.at(-1)!.body)).toEqual({ status: 200, body: 'success' });
  expect(await paymentRow(paymentId)).toMatchObject({ status: 'succeeded' });
});

test("the day's bill against our records: a payment we never heard of is settled, money for an order we never made is refunded through Alipay", async () => {
  const { t, fake, clock, alipay } = bed;
  const lost = await depositAtAlipay(bed);
  fake.loseNextNotifications(1);
  await fake.pay(lost.no, clock.now());
  // An order number of ours that no payment has (money taken by mistake): injected at the fake.
  const unknown = randomUUID();
  await alipay.createPayment({ paymentId: unknown, description: '?', amount: parseMoney('66.00'), currency: 'CNY', channel: 'qr', expiresAt: clock.now() });
  fake.loseNextNotifications(1);
  await fake.pay(unknown.replaceAll('-', ''), clock.now());

  const day = businessDay(clock.now());
  const report = await t.app.services.reconciliation.compareStatement('alipay', day);
  const found = (paymentId: string) => report.differences.filter((d) => d.paymentId === paymentId).map((d) => [d.kind, d.resolution]);
  expect(found(lost.paymentId)).toEqual([['payment_not_recorded', 'settled']]);
  expect(found(unknown)).toEqual([['payment_not_recorded', 'refunded']]);
  expect((await paymentRow(lost.paymentId)).status).toBe('succeeded');
  await runDue(t, clock);
  const refund = await t.db.read((tx) => tx.findOneByOrFail(RefundRow, { reason: 'unexpected_payment', amount: parseMoney('66.00') }));
  expect(refund.status).toBe('succeeded');
  expect([...fake.trade(unknown.replaceAll('-', '')).refunds.entries()]).toEqual([
    [refund.id.replaceAll('-', ''), expect.objectContaining({ amount: '66.00' })],
  ]);
  // Compared again: nothing new.
  expect((await t.app.services.reconciliation.compareStatement('alipay', day)).differences).toEqual([]);
});
