import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { AlipayError, GatewayEventRow, PaymentRow, RefundRow, type PaymentGateway } from '../../src/payments';
import { parseMoney } from '../../src/platform/money';
import type { TestApp } from '../support/app';
import { aConsumer, type Caller } from '../support/builders';
import { anOpenCampaign, pledge } from '../support/campaigns';
import { type TestClock, advance, runDue } from '../support/clock';
import { waitFor } from '../support/wait';
import { ALIPAY_EXAMPLES, FakeAlipay, alipayBed, depositAtAlipay, rsa2Sign, signingString } from '../support/fake-alipay';
import { aCampaignCancelledAfterSuccess, aCheckoutRequest } from '../support/payments';
import { runServiceToExit } from '../support/process';

/**
 * The Alipay adapter against a local Alipay (test/support/fake-alipay.ts), in the real app: configured
 * from ALIPAY_ variables, its notifications POSTed by the fake over HTTP to the app's own listener.
 */
const TIMEOUT_MS = 400;
const bed = alipayBed({ timeoutMs: TIMEOUT_MS });
let fake: FakeAlipay;
let t: TestApp;
let alipay: PaymentGateway;
let clock: TestClock;
let notifyUrl: string;
let operator: Caller;
let factoryId: string;
beforeAll(() => ({ fake, t, alipay, clock, notifyUrl, operator, factoryId } = bed));

const outTradeNo = (paymentId: string) => paymentId.replaceAll('-', '');

function checkoutRequest(channel: 'qr' | 'h5', amount = '88.80') {
  return aCheckoutRequest(channel, amount, new Date());
}

/** A trade paid at the fake (its notification lost, so that only the test decides what the app hears). */
async function aPaidTrade(amount = '88.80'): Promise<string> {
  const request = checkoutRequest('qr', amount);
  await alipay.createPayment(request);
  fake.loseNextNotifications(1);
  await fake.pay(outTradeNo(request.paymentId));
  return request.paymentId;
}

describe('checkout', () => {
  test('QR: alipay.trade.precreate, signed with the application key, answers the qr_code to show', async () => {
    const request = checkoutRequest('qr');
    const checkout = await alipay.createPayment(request);
    expect(checkout).toEqual({ channel: 'qr', qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\/bax0\d{14}$/) });
    const call = fake.calls.at(-1)!;
    expect(call.method).toBe('alipay.trade.precreate');
    expect(call.params.notify_url).toMatch(/\/v1\/payments\/notifications\/alipay$/);
    expect(JSON.parse(call.params.biz_content)).toMatchObject({ out_trade_no: outTradeNo(request.paymentId), total_amount: '88.80', subject: '羽绒服 定金' });
    expect(fake.trade(outTradeNo(request.paymentId))).toMatchObject({ status: 'WAIT_BUYER_PAY', totalAmount: '88.80' });
    // Asking again for the same order is the same trade (our payment id is its number).
    expect(await alipay.createPayment(request)).toEqual(checkout);
  });

  test('H5: a signed alipay.trade.wap.pay URL that opens Alipay’s cashier; changed by anyone, it does not', async () => {
    const request = checkoutRequest('h5');
    const checkout = await alipay.createPayment(request);
    if (checkout.channel !== 'h5') throw new Error(checkout.channel);
    const url = new URL(checkout.redirectUrl);
    expect(`${url.origin}${url.pathname}`).toBe(fake.gatewayUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ method: 'alipay.trade.wap.pay', return_url: request.returnUrl, sign_type: 'RSA2' });
    expect(JSON.parse(url.searchParams.get('biz_content')!)).toMatchObject({
      product_code: 'QUICK_WAP_WAY',
      quit_url: request.returnUrl,
      total_amount: '88.80',
    });
    expect(await (await fetch(checkout.redirectUrl)).text()).toContain('支付宝收银台：羽绒服 定金 ¥88.80');

    url.searchParams.set('biz_content', url.searchParams.get('biz_content')!.replace('88.80', '0.01'));
    expect(await (await fetch(url)).text()).toContain('验签出错');
  });
});

describe('query, refund, query refund, statement', () => {
  test('query: no trade yet, waiting, paid (the event a notification would carry), closed', async () => {
    const request = checkoutRequest('qr');
    expect(await alipay.queryPayment(request.paymentId)).toEqual({ state: 'not_found' });
    await alipay.createPayment(request);
    expect(await alipay.queryPayment(request.paymentId)).toEqual({ state: 'pending' });
    fake.loseNextNotifications(1);
    await fake.pay(outTradeNo(request.paymentId));
    const { tradeNo } = fake.trade(outTradeNo(request.paymentId));
    const paid = await alipay.queryPayment(request.paymentId);
    expect(paid).toMatchObject({
      state: 'paid',
      event: {
        id: `query:${tradeNo}`,
        type: 'payment.succeeded',
        paymentId: request.paymentId,
        currency: 'CNY',
        transactionId: tradeNo,
        payer: ALIPAY_EXAMPLES.buyerId,
      },
    });
    expect(paid.state === 'paid' && paid.event.amount.toFixed(2)).toBe('88.80');

    const unpaid = checkoutRequest('qr');
    await alipay.createPayment(unpaid);
    fake.loseNextNotifications(1);
    await fake.closeUnpaid(outTradeNo(unpaid.paymentId));
    expect(await alipay.queryPayment(unpaid.paymentId)).toEqual({ state: 'closed' });
  });

  test('refund: out_request_no is our refund id, so asking again pays nothing twice; more than was paid is rejected; query refund follows Alipay’s rule', async () => {
    const paymentId = await aPaidTrade('88.80');
    const refund = { refundId: randomUUID(), paymentId, transactionId: null, amount: parseMoney('30.00'), currency: 'CNY', reason: 'campaign_cancelled' };
    expect(await alipay.queryRefund(refund)).toEqual({ outcome: 'not_found' });
    expect(await alipay.refund(refund)).toEqual({ outcome: 'succeeded' });
    // Again (a retry after a lost answer): fund_change N, and the query says it is done.
    expect(await alipay.refund(refund)).toEqual({ outcome: 'succeeded' });
    expect([...fake.trade(outTradeNo(paymentId)).refunds.values()].map((r) => r.amount)).toEqual(['30.00']);
    expect(await alipay.queryRefund(refund)).toEqual({ outcome: 'succeeded' });
    const call = fake.calls.filter((c) => c.method === 'alipay.trade.refund').at(-1)!;
    expect(JSON.parse(call.params.biz_content)).toMatchObject({ refund_amount: '30.00', out_request_no: outTradeNo(refund.refundId) });

    const tooMuch = await alipay.refund({ ...refund, refundId: randomUUID(), amount: parseMoney('60.00') });
    expect(tooMuch).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/^ACQ\.REFUND_AMT_NOT_EQUAL_TOTAL: /) });
    expect(await alipay.refund({ ...refund, refundId: randomUUID(), paymentId: randomUUID() })).toEqual({
      outcome: 'rejected',
      reason: expect.stringMatching(/^ACQ\.TRADE_NOT_EXIST/),
    });
  });

  test('statement: the day’s bill (a zip of GBK CSV files) read back into our payment and refund ids', async () => {
    const paymentId = await aPaidTrade('12.34');
    const refundId = randomUUID();
    await alipay.refund({ refundId, paymentId, transactionId: null, amount: parseMoney('2.34'), currency: 'CNY', reason: 'campaign_cancelled' });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const lines = await alipay.statement(today);
    const { tradeNo } = fake.trade(outTradeNo(paymentId));
    expect(lines.filter((l) => l.paymentId === paymentId).map((l) => ({ ...l, amount: l.amount.toFixed(2), at: undefined }))).toEqual([
      { kind: 'payment', paymentId, refundId: null, transactionId: tradeNo, amount: '12.34', currency: 'CNY', at: undefined },
      { kind: 'refund', paymentId, refundId, transactionId: tradeNo, amount: '2.34', currency: 'CNY', at: undefined },
    ]);
    expect(await alipay.statement('2001-01-01')).toEqual([]);
  });
});

describe('provider errors and timeouts', () => {
  test('a business error (40004 with its sub_code) and a system error are clear errors, never a checkout', async () => {
    fake.failNext('alipay.trade.precreate', { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' });
    await expect(alipay.createPayment(checkoutRequest('qr'))).rejects.toThrow(
      'Alipay alipay.trade.precreate: 40004 Business Failed (ACQ.SYSTEM_ERROR: 系统错误)',
    );
    fake.failNext('alipay.trade.query', { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' });
    await expect(alipay.queryPayment(randomUUID())).rejects.toMatchObject({ details: { code: '20000', subCode: 'isp.unknow-error' } });
    // A refund Alipay could not make now is an error (retried), not a refusal.
    const paymentId = await aPaidTrade();
    fake.failNext('alipay.trade.refund', { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' });
    await expect(
      alipay.refund({ refundId: randomUUID(), paymentId, transactionId: null, amount: parseMoney('1.00'), currency: 'CNY', reason: 'campaign_cancelled' }),
    ).rejects.toThrow(AlipayError);
  });

  test('no answer within ALIPAY_TIMEOUT_MS is a timeout error; a reply whose signature does not match is refused', async () => {
    fake.hangNext('alipay.trade.query');
    const started = Date.now();
    await expect(alipay.queryPayment(randomUUID())).rejects.toMatchObject({ name: 'AlipayError', details: { timedOut: true } });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
    fake.forgeNextReply('alipay.trade.query');
    await expect(alipay.queryPayment(randomUUID())).rejects.toThrow(/验签失败/);
  });

  test('a refund Alipay made but whose answer was lost: the retry (same out_request_no) finds it done, and nothing is paid twice', async () => {
    const paymentId = await aPaidTrade('50.00');
    const refund = { refundId: randomUUID(), paymentId, transactionId: null, amount: parseMoney('50.00'), currency: 'CNY', reason: 'campaign_cancelled' };
    fake.hangNext('alipay.trade.refund', { applied: true });
    await expect(alipay.refund(refund)).rejects.toMatchObject({ details: { timedOut: true } });
    expect(await alipay.refund(refund)).toEqual({ outcome: 'succeeded' });
    expect([...fake.trade(outTradeNo(paymentId)).refunds.values()].map((r) => r.amount)).toEqual(['50.00']);
  });

  test('our own request signed with another key is refused by Alipay (40002 isv.invalid-signature)', async () => {
    const params: Record<string, string> = {
      app_id: ALIPAY_EXAMPLES.appId,
      method: 'alipay.trade.query',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' }).format(new Date()),
      version: '1.0',
      biz_content: JSON.stringify({ out_trade_no: '6823789339978248' }),
    };
    params.sign = rsa2Sign(signingString(params, ['sign']), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const reply = await (await fetch(fake.gatewayUrl, { method: 'POST', body: new URLSearchParams(params) })).json();
    expect(reply.alipay_trade_query_response).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' });
  });
});

describe('notifications', () => {
  test('forged (signed by another key) or not a form: answered "fail" and nothing is recorded', async () => {
    const paymentId = await aPaidTrade();
    const genuine = new URLSearchParams(fake.notificationBody(fake.trade(outTradeNo(paymentId))));
    const fields = Object.fromEntries(genuine);
    fields.sign = rsa2Sign(signingString(fields, ['sign', 'sign_type']), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const forged = await t.http.post('/v1/payments/notifications/alipay').type('form').send(new URLSearchParams(fields).toString());
    expect([forged.status, forged.text, forged.headers['content-type']]).toEqual([401, 'fail', 'text/plain; charset=utf-8']);
    const json = await t.http.post('/v1/payments/notifications/alipay').send(fields);
    expect([json.status, json.text]).toEqual([400, 'fail']);
  });
});

describe('in the app: a consumer pays a deposit at Alipay', () => {
  const aDepositAtAlipay = (channel: 'qr' | 'h5' = 'qr') => depositAtAlipay(bed, channel);
  const status = async (paymentId: string) => (await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: paymentId }))).status;
  const events = (paymentId: string) => t.db.read((tx) => tx.countBy(GatewayEventRow, { paymentId }));
  const refundsAtAlipay = (no: string) => [...fake.trade(no).refunds.values()].map((r) => r.amount);

  test('checkout: a QR code or an H5 redirect, answered through the route', async () => {
    const qr = await aDepositAtAlipay('qr');
    expect(qr.checkout.checkout).toMatchObject({ provider: 'alipay', channel: 'qr', qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) });
    expect(fake.trade(qr.no)).toMatchObject({ status: 'WAIT_BUYER_PAY', totalAmount: qr.checkout.payment.amount });
    const h5 = await aDepositAtAlipay('h5');
    expect(h5.checkout.checkout.redirectUrl).toContain(fake.gatewayUrl);
    expect(fake.trade(h5.no).status).toBe('WAIT_BUYER_PAY');
  });

  test('valid: Alipay’s notification settles the deposit and is answered "success"; replayed, it changes nothing', async () => {
    const { paymentId, no } = await aDepositAtAlipay();
    expect(await fake.pay(no, clock.now())).toEqual({ status: 200, body: 'success' });
    expect(await status(paymentId)).toBe('succeeded');
    const sent = fake.notifications.at(-1)!.body;
    expect(await fake.deliver(notifyUrl, sent)).toEqual({ status: 200, body: 'success' });
    expect(await events(paymentId)).toBe(1);
    expect(await status(paymentId)).toBe('succeeded');
  });

  test('forged: a changed amount or a signature by another key is answered "fail" and changes nothing', async () => {
    const { paymentId, no } = await aDepositAtAlipay();
    fake.loseNextNotifications(1);
    await fake.pay(no, clock.now());
    const fields = Object.fromEntries(new URLSearchParams(fake.notificationBody(fake.trade(no), clock.now())));
    const changed = new URLSearchParams({ ...fields, total_amount: '0.01' }).toString();
    expect(await fake.deliver(notifyUrl, changed)).toEqual({ status: 401, body: 'fail' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const resigned = new URLSearchParams({ ...fields, sign: rsa2Sign(signingString(fields, ['sign', 'sign_type']), other) }).toString();
    expect(await fake.deliver(notifyUrl, resigned)).toEqual({ status: 401, body: 'fail' });
    expect(await status(paymentId)).toBe('pending');
    expect(await events(paymentId)).toBe(0);
  });

  test('out of order: a TRADE_CLOSED after the payment changes nothing; a payment after TRADE_CLOSED is money taken, given back through Alipay', async () => {
    const paid = await aDepositAtAlipay();
    await fake.pay(paid.no, clock.now());
    const closedLate = fake.notificationBody(fake.trade(paid.no), clock.now(), { trade_status: 'TRADE_CLOSED' });
    expect(await fake.deliver(notifyUrl, closedLate)).toEqual({ status: 200, body: 'success' });
    expect(await status(paid.paymentId)).toBe('succeeded');

    const closed = await aDepositAtAlipay();
    const trade = fake.trade(closed.no);
    await fake.closeUnpaid(closed.no, clock.now());
    expect(await status(closed.paymentId)).toBe('failed');
    // Paid after all (Alipay's notifications crossed): the money arrived and nothing wants it any more.
    Object.assign(trade, { status: 'TRADE_SUCCESS', paidAt: clock.now() });
    expect(await fake.deliver(notifyUrl, fake.notificationBody(trade, clock.now()))).toEqual({ status: 200, body: 'success' });
    await runDue(t, clock);
    expect(refundsAtAlipay(closed.no)).toEqual([trade.totalAmount]);
  });

  test('late: paid after the deposit’s hold ended, the money is refunded through Alipay (out_request_no = our refund id)', async () => {
    const { paymentId, no } = await aDepositAtAlipay();
    await advance(t, clock, 16 * 60_000);
    expect(await status(paymentId)).toBe('cancelled');
    expect(await fake.pay(no, clock.now())).toEqual({ status: 200, body: 'success' });
    await runDue(t, clock);
    const refund = await t.db.read((tx) => tx.findOneByOrFail(RefundRow, { paymentId }));
    expect(refund.status).toBe('succeeded');
    expect([...fake.trade(no).refunds.keys()]).toEqual([outTradeNo(refund.id)]);
    // Alipay then notifies the refund (the trade now TRADE_CLOSED, out_biz_no our refund): taken, nothing more moves.
    await waitFor(() => fake.notifications.some((n) => n.body.includes(`out_biz_no=${outTradeNo(refund.id)}`) && n.answer !== 'lost'));
    expect(fake.notifications.find((n) => n.body.includes(`out_biz_no=${outTradeNo(refund.id)}`))!.answer).toEqual({ status: 200, body: 'success' });
    expect(await t.db.read((tx) => tx.countBy(GatewayEventRow, { paymentId, type: 'refund.succeeded' }))).toBe(1);
  });

  test('lost: a notification that never came is found by asking Alipay, and settles through the same path', async () => {
    const { paymentId, no } = await aDepositAtAlipay();
    fake.loseNextNotifications(1);
    await fake.pay(no, clock.now());
    const found = await alipay.queryPayment(paymentId);
    if (found.state !== 'paid') throw new Error(found.state);
    expect(await t.app.services.payments.settle('alipay', found.event)).toBe('processed');
    expect(await status(paymentId)).toBe('succeeded');
    // The notification arriving after all is the same money: nothing more.
    expect(await fake.deliver(notifyUrl, fake.notifications.at(-1)!.body)).toEqual({ status: 200, body: 'success' });
    expect(await status(paymentId)).toBe('succeeded');
  });

  test("a campaign cancelled after it succeeded: each deposit is refunded, and the same again transferred to the buyer's Alipay user id (单笔转账); asked again, nothing is paid twice", async () => {
    const buyers = new Map<string, string>();
    const deposits = await aCampaignCancelledAfterSuccess(bed, 'alipay', async (paymentId) => {
      buyers.set(paymentId, `2088${String(randomInt(1e12)).padStart(12, '0')}`);
      expect(await fake.pay(outTradeNo(paymentId), clock.now(), buyers.get(paymentId))).toEqual({ status: 200, body: 'success' });
    });
    for (const { payment, refund, compensation } of deposits) {
      expect(payment.payer).toBe(buyers.get(payment.id));
      expect([refund.status, compensation.status]).toEqual(['succeeded', 'succeeded']);
      expect(refundsAtAlipay(outTradeNo(payment.id))).toEqual([payment.amount.toFixed(2)]);
      expect(fake.transfers.get(outTradeNo(compensation.id))).toMatchObject({
        amount: payment.amount.toFixed(2),
        payee: { identity: buyers.get(payment.id), identity_type: 'ALIPAY_USER_ID' },
        orderTitle: '预售活动取消，定金双倍返还',
        status: 'SUCCESS',
      });
    }
    const transfer = fake.calls.find((c) => c.method === 'alipay.fund.trans.uni.transfer')!;
    expect(JSON.parse(transfer.params.biz_content)).toMatchObject({ product_code: 'TRANS_ACCOUNT_NO_PWD', biz_scene: 'DIRECT_TRANSFER' });
    // The refund job run again, and the transfer asked again and queried under its number: the same transfer, paid once.
    expect(await t.app.services.payments.sendRefunds(deposits.map((d) => d.compensation.id))).toEqual([undefined, undefined]);
    const { payment, compensation } = deposits[0];
    const again = { refundId: compensation.id, paymentId: payment.id, transactionId: null, amount: compensation.amount, currency: 'CNY' };
    expect(await alipay.refund({ ...again, reason: 'deposit_compensation', payer: payment.payer })).toEqual({ outcome: 'succeeded' });
    expect(await alipay.queryRefund(again)).toEqual({ outcome: 'succeeded' });
    expect([...fake.transfers.values()].filter((x) => [...buyers.values()].includes(x.payee.identity))).toHaveLength(2);
    // No buyer known (paid before buyers were kept): refused for good, without asking Alipay.
    const calls = fake.calls.length;
    expect(await alipay.refund({ ...again, refundId: randomUUID(), reason: 'deposit_compensation', payer: null })).toEqual({
      outcome: 'rejected',
      final: true,
      reason: expect.stringMatching(/user id is not known/),
    });
    expect(fake.calls.length).toBe(calls);
  });

  test('a transfer Alipay refuses (not enough balance) is sent again by the refund job, with the same number, and paid once', async () => {
    let refused = false;
    const [{ compensation }] = await aCampaignCancelledAfterSuccess(
      bed,
      'alipay',
      async (paymentId) => {
        await fake.pay(outTradeNo(paymentId), clock.now());
        if (refused) return;
        refused = true;
        fake.failNext('alipay.fund.trans.uni.transfer', {
          code: '40004',
          msg: 'Business Failed',
          sub_code: 'PAYER_BALANCE_NOT_ENOUGH',
          sub_msg: '付款方余额不足',
        });
      },
      1,
    );
    // The job's retry (same out_biz_no) went through: one transfer, two calls.
    expect(compensation).toMatchObject({ status: 'succeeded', attempts: 2, lastError: null });
    const sent = fake.calls.filter((c) => c.method === 'alipay.fund.trans.uni.transfer' && c.params.biz_content.includes(outTradeNo(compensation.id)));
    expect(sent).toHaveLength(2);
    expect(fake.transfers.get(outTradeNo(compensation.id))?.status).toBe('SUCCESS');
  });

  test('a provider error at checkout is a clear 502, a timeout a 504', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)).body;
    fake.failNext('alipay.trade.precreate', { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' });
    const failed = await t.http.post(`/v1/payments/${placed.depositPayment.id}/checkout`).set(consumer.auth).send({ provider: 'alipay', channel: 'qr' });
    expect([failed.status, failed.body.code]).toEqual([502, 'payment_provider_error']);
    expect(failed.body.detail).toContain('ACQ.SYSTEM_ERROR');
    fake.hangNext('alipay.trade.precreate');
    const timedOut = await t.http.post(`/v1/payments/${placed.depositPayment.id}/checkout`).set(consumer.auth).send({ provider: 'alipay', channel: 'qr' });
    expect([timedOut.status, timedOut.body.code]).toEqual([504, 'payment_provider_timeout']);
  });
});

test('partly or wrongly configured: the service refuses to start and lists every problem, the platform’s and Alipay’s', async () => {
  const { code, stderr } = await runServiceToExit({ PORT: 'eighty', ALIPAY_APP_ID: '2014072300007148', ALIPAY_PUBLIC_KEY: 'not a key' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^Invalid configuration:\n/);
  for (const problem of ['PORT:', 'ALIPAY_PRIVATE_KEY: is required', 'ALIPAY_PUBLIC_KEY: is not an RSA public key', 'ALIPAY_NOTIFY_URL: is required'])
    expect(stderr).toContain(problem);
});
