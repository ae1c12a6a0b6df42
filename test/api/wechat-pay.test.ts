import { createPrivateKey, createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PaymentGateway, PaymentRow, RefundRow, WechatPayGateway, wechatPayConfig } from '../../src/payments';
import { businessDay } from '../../src/platform/calendar';
import { createLogger } from '../../src/platform/logger';
import { type Decimal, parseMoney, toFen } from '../../src/platform/money';
import type { TestApp } from '../support/app';
import { advance, runDue } from '../support/clock';
import {
  FIXTURE_PLATFORM_CERTIFICATE,
  FIXTURE_PLATFORM_CERTIFICATE_KEY,
  FIXTURE_PLATFORM_CERTIFICATE_SERIAL,
  FakeWechatPay,
  WECHATPAY_TEST_MERCHANT,
  type FakePlatformKey,
} from '../support/fake-wechat-pay';
import { aCampaignCancelledAfterSuccess, aCheckoutRequest, anUnpaidDeposit, paymentsBed } from '../support/payments';
import { runServiceToExit } from '../support/process';
import { waitFor } from '../support/wait';

/**
 * WeChat Pay API v3 through the real app and a faithful fake of WeChat Pay's HTTP API
 * (test/support/fake-wechat-pay.ts): the fake checks every request's signature, answers and notifies
 * signed with keys made here, and encrypts its notifications with the APIv3 key.
 */
const { mchid: MCHID, appid: APPID, serial: MERCHANT_SERIAL, publicKeyId: PUBLIC_KEY_ID, apiV3Key: APIV3_KEY } = WECHATPAY_TEST_MERCHANT;
const NOTIFY_URL = 'https://shop.example.com/v1/payments/notifications/wechatpay';
const TIMEOUT_MS = 1500;
/** 企业赔付, the 商家转账 scene a compensation is paid under. */
const TRANSFER_SCENE_ID = '1011';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** The 微信支付公钥 (new merchants' only mode) and a platform certificate (the old mode), both known to us. */
const wechatPublicKey: FakePlatformKey = { id: PUBLIC_KEY_ID, privateKey: publicKey.privateKey };
const platformCertificate: FakePlatformKey = { id: FIXTURE_PLATFORM_CERTIFICATE_SERIAL, privateKey: createPrivateKey(FIXTURE_PLATFORM_CERTIFICATE_KEY) };

/** Filled in once the fake listens (before the bed starts the app with it). */
const env: Record<string, string> = {};
let fake: FakeWechatPay;
let listener: http.Server;
let wechat: PaymentGateway;

beforeAll(async () => {
  fake = await FakeWechatPay.start({
    mchid: MCHID,
    appid: APPID,
    apiV3Key: APIV3_KEY,
    merchant: { serial: MERCHANT_SERIAL, publicKey: merchant.publicKey },
    platformKeys: [platformCertificate, wechatPublicKey],
    notifyWith: PUBLIC_KEY_ID,
    now: () => clock.now(),
  });
  // The app listens on a real port: WeChat Pay's notifications come over the network, to the notify URL's path.
  listener = http.createServer((req, res) => t.app.http(req, res));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  fake.notifyOrigin = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  Object.assign(env, wechatEnv(fake.baseUrl));
});
const bed = paymentsBed(env);
const { clock } = bed;
let t: TestApp;
beforeAll(() => {
  t = bed.t;
  wechat = t.app.services.payments.gateway('wechatpay');
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => listener.close(resolve));
});

function checkoutRequest(channel: 'qr' | 'h5' | 'jsapi', amount = '199.99') {
  return aCheckoutRequest(channel, amount, clock.now(), { clientIp: '203.0.113.7', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
}

/** An order paid at the fake, its notification lost (so only the test decides what the app hears). */
async function aPaidOrder(amount = '199.99'): Promise<string> {
  const request = checkoutRequest('qr', amount);
  await wechat.createPayment(request);
  fake.loseNextNotifications(1);
  await fake.pay(no(request.paymentId));
  return request.paymentId;
}

const no = (id: string) => id.replaceAll('-', '');

describe('checkout', () => {
  test('Native (desktop): the QR code text code_url; the order placed signed, in fen, with our number, notify URL and deadline', async () => {
    const request = checkoutRequest('qr', '199.99');
    const checkout = await wechat.createPayment(request);
    expect(checkout).toEqual({ channel: 'qr', qrCode: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w+$/) });
    const order = fake.orders.get(no(request.paymentId))!;
    expect(order).toMatchObject({
      appid: APPID,
      mchid: MCHID,
      description: '羽绒服 定金',
      trade_type: 'NATIVE',
      notify_url: NOTIFY_URL,
      amount: { total: 19999, currency: 'CNY' },
    });
    expect(order.time_expire).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(new Date(order.time_expire!).getTime()).toBe(Math.floor(request.expiresAt.getTime() / 1000) * 1000);
    expect(fake.requests.at(-1)).toEqual({ method: 'POST', path: '/v3/pay/transactions/native', authorized: true });
    // Asked again: the same order, the same code (our payment id is its number).
    expect(await wechat.createPayment(request)).toEqual(checkout);
  });

  test("H5 (a phone browser): h5_url with our page as redirect_url; the payer's address in scene_info", async () => {
    const request = checkoutRequest('h5', '0.01');
    const checkout = await wechat.createPayment(request);
    if (checkout.channel !== 'h5') throw new Error(checkout.channel);
    const redirect = new URL(checkout.redirectUrl);
    expect(redirect.origin + redirect.pathname).toBe('https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb');
    expect(redirect.searchParams.get('prepay_id')).toBe(fake.orders.get(no(request.paymentId))!.prepay_id);
    expect(redirect.searchParams.get('redirect_url')).toBe('https://shop.example.com/pay/done');
    expect(fake.orders.get(no(request.paymentId))).toMatchObject({
      trade_type: 'MWEB',
      amount: { total: 1 },
      scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } },
    });
  });

  test('JSAPI (inside WeChat): getBrandWCPayRequest parameters, paySign by the merchant key over the prepay id', async () => {
    const request = checkoutRequest('jsapi', '1000.00');
    const checkout = await wechat.createPayment(request);
    if (checkout.channel !== 'jsapi') throw new Error(checkout.channel);
    const order = fake.orders.get(no(request.paymentId))!;
    expect(order).toMatchObject({ trade_type: 'JSAPI', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }, amount: { total: 100000 } });
    const { jsapi } = checkout;
    expect(jsapi).toMatchObject({
      appId: APPID,
      package: `prepay_id=${order.prepay_id}`,
      signType: 'RSA',
      timeStamp: String(Math.floor(clock.now().getTime() / 1000)),
    });
    const message = `${jsapi.appId}\n${jsapi.timeStamp}\n${jsapi.nonceStr}\n${jsapi.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, jsapi.paySign, 'base64')).toBe(true);
    // Without the openid or the address a checkout cannot be made; a currency other than CNY is refused; no sheet here.
    await expect(wechat.createPayment({ ...checkoutRequest('jsapi'), openid: undefined })).rejects.toMatchObject({ status: 400 });
    await expect(wechat.createPayment({ ...checkoutRequest('h5'), clientIp: undefined })).rejects.toMatchObject({ status: 400 });
    await expect(wechat.createPayment({ ...checkoutRequest('qr'), currency: 'USD' })).rejects.toMatchObject({ code: 'currency_not_supported' });
    await expect(wechat.createPayment({ ...checkoutRequest('qr'), channel: 'sheet' })).rejects.toMatchObject({ code: 'checkout_not_offered' });
  });

  test('our signature is what WeChat Pay checks: a merchant key it does not know is answered 401 SIGN_ERROR, a clear 502', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = await FakeWechatPay.start({
      mchid: MCHID,
      appid: APPID,
      apiV3Key: APIV3_KEY,
      merchant: { serial: MERCHANT_SERIAL, publicKey: stranger.publicKey },
      platformKeys: [wechatPublicKey],
    });
    try {
      const refused = await gatewayAt(other.baseUrl)
        .createPayment(checkoutRequest('qr'))
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({
        status: 502,
        code: 'payment_provider_error',
        detail: expect.stringMatching(/401 SIGN_ERROR 签名错误 \(Request-ID 08[0-9A-F]+\)/),
      });
      expect(other.requests).toEqual([{ method: 'POST', path: '/v3/pay/transactions/native', authorized: false }]);
    } finally {
      await other.close();
    }
  });

  test('WeChat Pay refusing (SYSTEM_ERROR) is a 502 naming its code and Request-ID; no answer in time is a 504; asking again then works', async () => {
    const request = checkoutRequest('qr');
    fake.failNext(1, { status: 500, code: 'SYSTEM_ERROR', message: '系统繁忙，请稍后重试' });
    await expect(wechat.createPayment(request)).rejects.toMatchObject({
      status: 502,
      code: 'payment_provider_error',
      detail: expect.stringMatching(/500 SYSTEM_ERROR 系统繁忙，请稍后重试 \(Request-ID 08[0-9A-F]+\)/),
    });
    fake.stallNext(1, TIMEOUT_MS + 400);
    await expect(wechat.createPayment(request)).rejects.toMatchObject({
      status: 504,
      code: 'payment_provider_timeout',
      detail: expect.stringContaining(`within ${TIMEOUT_MS} ms`),
    });
    // The stalled call placed the order all the same: asking again gets that one.
    expect(await wechat.createPayment(request)).toMatchObject({ channel: 'qr' });
    expect([...fake.orders.keys()].filter((k) => k === no(request.paymentId))).toHaveLength(1);
  });

  test("WeChat Pay's refusals are logged with the Request-ID its support asks for", async () => {
    const lines: string[] = [];
    const gateway = gatewayAt(fake.baseUrl, createLogger('warn', { write: (line: string) => void lines.push(line) }));
    fake.failNext(1, { status: 400, code: 'PARAM_ERROR', message: '参数错误' });
    const refused = (await gateway.createPayment(checkoutRequest('qr')).catch((e: unknown) => e)) as { detail: string };
    const requestId = /Request-ID (08[0-9A-F]+)/.exec(refused.detail)![1];
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'WeChat Pay refused a call',
        call: 'POST /v3/pay/transactions/native',
        status: 400,
        code: 'PARAM_ERROR',
        providerMessage: '参数错误',
        requestId,
      }),
    );
  });

  test("an answer not signed by WeChat Pay's key is not believed: 502, whatever it says", async () => {
    const impostor = await FakeWechatPay.start({
      mchid: MCHID,
      appid: APPID,
      apiV3Key: APIV3_KEY,
      merchant: { serial: MERCHANT_SERIAL, publicKey: merchant.publicKey },
      platformKeys: [{ id: PUBLIC_KEY_ID, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }],
    });
    try {
      const refused = await gatewayAt(impostor.baseUrl)
        .createPayment(checkoutRequest('qr'))
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 502, code: 'payment_provider_error', detail: expect.stringMatching(/signature does not match/) });
    } finally {
      await impostor.close();
    }
  });
});

describe('notifications', () => {
  const deliverTo = (signed: { id: string; headers: Record<string, string>; body: Buffer }) => fake.deliver(NOTIFY_URL, signed, 'TRANSACTION.SUCCESS');

  test('forged (another key, an unknown serial, a probe, another APIv3 key) or stale: refused 4xx with {"code":"FAIL"}', async () => {
    const paymentId = await aPaidOrder();
    const resource = transactionResource(fake.orders.get(no(paymentId))!);
    const stranger: FakePlatformKey = { id: PUBLIC_KEY_ID, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
    const probe = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', resource);
    probe.headers['wechatpay-signature'] = `WECHATPAY/SIGNTEST/${probe.headers['wechatpay-signature']}`;
    const attempts = {
      forged: fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', resource, { signWith: stranger }),
      unknownSerial: fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', resource, { signWith: { ...stranger, id: 'PUB_KEY_ID_0000' } }),
      probe,
      otherApiV3Key: fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', resource, { apiV3Key: 'Zb8Gruziwazqj3sTfV7e2Gk1BJZ1edc7' }),
      stale: fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', resource, { at: new Date(clock.now().getTime() - 301_000) }),
    };
    const answers: Record<string, unknown> = {};
    for (const [name, signed] of Object.entries(attempts)) {
      const delivered = await deliverTo(signed);
      answers[name] = { status: delivered.status, answer: JSON.parse(delivered.answer) };
    }
    expect(answers).toEqual({
      forged: { status: 401, answer: { code: 'FAIL', message: expect.stringMatching(/signature does not match/) } },
      unknownSerial: { status: 401, answer: { code: 'FAIL', message: expect.stringMatching(/PUB_KEY_ID_0000/) } },
      probe: { status: 401, answer: { code: 'FAIL', message: expect.stringMatching(/WECHATPAY\/SIGNTEST/) } },
      otherApiV3Key: { status: 400, answer: { code: 'FAIL', message: expect.stringMatching(/cannot be decrypted/) } },
      stale: { status: 401, answer: { code: 'FAIL', message: expect.stringMatching(/more than 300 seconds/) } },
    });
  });

  test("genuine ones are read as the port's events: TRANSACTION.SUCCESS a payment, REFUND.* a refund, the notification id the event id", async () => {
    const paymentId = await aPaidOrder('88.80');
    const order = fake.orders.get(no(paymentId))!;
    // Signed with the 微信支付公钥 or a platform certificate: notifications switch over gradually.
    for (const signWith of [wechatPublicKey, platformCertificate]) {
      const signed = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', transactionResource(order), { signWith });
      const event = wechat.verifyNotification(signed.headers, signed.body, clock.now());
      expect({ ...event, amount: event.amount.toFixed(2) }).toEqual({
        id: signed.id,
        type: 'payment.succeeded',
        paymentId,
        amount: '88.80',
        currency: 'CNY',
        transactionId: order.transaction_id,
        payer: order.payer!.openid,
      });
    }
    const refundId = randomUUID();
    expect(
      await wechat.refund({ refundId, paymentId, transactionId: order.transaction_id!, amount: parseMoney('8.80'), currency: 'CNY', reason: 'late_payment' }),
    ).toEqual({
      outcome: 'processing',
    });
    fake.loseNextNotifications(1);
    const finished = await fake.finishRefund(no(refundId), 'SUCCESS');
    const refundEvent = wechat.verifyNotification(finished.headers, finished.body, clock.now());
    expect({ ...refundEvent, amount: refundEvent.amount.toFixed(2) }).toEqual({
      id: finished.id,
      type: 'refund.succeeded',
      refundId,
      paymentId,
      amount: '8.80',
      currency: 'CNY',
    });
    // Not ours, or not as documented: refused, so that the log shows it and WeChat Pay sends it again.
    const foreign = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', {
      ...transactionResource(order),
      trade_state: 'SUCCESS',
      mchid: '1230000109',
    });
    expect(() => wechat.verifyNotification(foreign.headers, foreign.body, clock.now())).toThrow(/merchant 1230000109/);
    const notOurs = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', {
      ...transactionResource(order),
      trade_state: 'SUCCESS',
      out_trade_no: '1217752501201407033233368018',
    });
    expect(() => wechat.verifyNotification(notOurs.headers, notOurs.body, clock.now())).toThrow(/not one of ours/);
    const other = fake.notification('MCHTRANSFER.BILL.FINISHED', '转账完成', 'mch_payment', {});
    expect(() => wechat.verifyNotification(other.headers, other.body, clock.now())).toThrow(/MCHTRANSFER.BILL.FINISHED/);
  });
});

describe('queries', () => {
  test('trade_state maps to the port: NOTPAY pending, SUCCESS and REFUND paid (the event a notification would carry), PAYERROR failed, CLOSED closed, none not_found', async () => {
    const request = checkoutRequest('qr', '66.60');
    await wechat.createPayment(request);
    expect(await wechat.queryPayment(request.paymentId)).toEqual({ state: 'pending' });
    fake.loseNextNotifications(1);
    await fake.pay(no(request.paymentId));
    const transactionId = fake.orders.get(no(request.paymentId))!.transaction_id!;
    const paid = await wechat.queryPayment(request.paymentId);
    expect(paid).toMatchObject({
      state: 'paid',
      event: {
        id: `query:${transactionId}`,
        type: 'payment.succeeded',
        paymentId: request.paymentId,
        currency: 'CNY',
        transactionId,
        payer: expect.any(String),
      },
    });
    expect(paid.state === 'paid' && paid.event.amount.toFixed(2)).toBe('66.60');
    fake.orders.get(no(request.paymentId))!.trade_state = 'REFUND';
    expect(await wechat.queryPayment(request.paymentId)).toMatchObject({ state: 'paid' });
    const declined = checkoutRequest('h5');
    await wechat.createPayment(declined);
    fake.decline(no(declined.paymentId));
    expect(await wechat.queryPayment(declined.paymentId)).toMatchObject({
      state: 'failed',
      event: { type: 'payment.failed', paymentId: declined.paymentId, transactionId: null },
    });
    fake.orders.get(no(declined.paymentId))!.trade_state = 'CLOSED';
    expect(await wechat.queryPayment(declined.paymentId)).toEqual({ state: 'closed' });
    expect(await wechat.queryPayment(randomUUID())).toEqual({ state: 'not_found' });
    expect(fake.requests.at(-1)?.path).toMatch(new RegExp(`^/v3/pay/transactions/out-trade-no/[0-9a-f]{32}\\?mchid=${MCHID}$`));
  });
});

describe('refunds', () => {
  const refundOf = (paymentId: string, amount: string, reason = 'campaign_cancelled') => ({
    refundId: randomUUID(),
    paymentId,
    transactionId: null,
    amount: parseMoney(amount),
    currency: 'CNY',
    reason,
  });

  test('the refund API in fen with the order total and a reason the payer reads; PROCESSING, then queried SUCCESS; asked again, refunded once', async () => {
    const paymentId = await aPaidOrder('199.99');
    const request = refundOf(paymentId, '50.00');
    expect(await wechat.refund(request)).toEqual({ outcome: 'processing' });
    expect(fake.refunds.get(no(request.refundId))).toMatchObject({
      out_trade_no: no(paymentId),
      reason: '预售活动取消，原路退回',
      notify_url: NOTIFY_URL,
      amount: { refund: 5000, total: 19999, currency: 'CNY' },
    });
    expect(await wechat.queryRefund(request)).toEqual({ outcome: 'processing' });
    fake.loseNextNotifications(1);
    await fake.finishRefund(no(request.refundId), 'SUCCESS');
    expect(await wechat.queryRefund(request)).toEqual({ outcome: 'succeeded' });
    // The same refund asked again (a retry after a lost answer) is the same refund.
    expect(await wechat.refund(request)).toEqual({ outcome: 'succeeded' });
    expect([...fake.refunds.values()].filter((r) => r.out_trade_no === no(paymentId))).toHaveLength(1);
    expect(await wechat.queryRefund({ refundId: randomUUID(), paymentId })).toEqual({ outcome: 'not_found' });
  });

  test('ABNORMAL and CLOSED are refusals with their reason', async () => {
    const paymentId = await aPaidOrder('30.00');
    const abnormal = refundOf(paymentId, '10.00');
    await wechat.refund(abnormal);
    fake.loseNextNotifications(1);
    await fake.finishRefund(no(abnormal.refundId), 'ABNORMAL');
    expect(await wechat.queryRefund(abnormal)).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^ABNORMAL/) });
    const closed = refundOf(paymentId, '10.00');
    await wechat.refund(closed);
    fake.loseNextNotifications(1);
    await fake.finishRefund(no(closed.refundId), 'CLOSED');
    expect(await wechat.queryRefund(closed)).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^CLOSED/) });
  });

  test('WeChat Pay refusing the refund (NOT_ENOUGH) is its answer; busy (SYSTEM_ERROR) or no answer throws, to be sent again; beyond the payment is refused before asking', async () => {
    const paymentId = await aPaidOrder('20.00');
    const request = refundOf(paymentId, '20.00', 'late_payment');
    fake.failNext(1, { status: 403, code: 'NOT_ENOUGH', message: '基本账户余额不足，请充值后重新发起' }, '/v3/refund/');
    expect(await wechat.refund(request)).toEqual({ outcome: 'rejected', reason: 'NOT_ENOUGH: 基本账户余额不足，请充值后重新发起' });
    fake.failNext(1, { status: 500, code: 'SYSTEM_ERROR', message: '系统繁忙' }, '/v3/refund/');
    await expect(wechat.refund(request)).rejects.toMatchObject({ code: 'payment_provider_error', detail: expect.stringMatching(/SYSTEM_ERROR/) });
    fake.stallNext(1, TIMEOUT_MS + 400, '/v3/refund/');
    await expect(wechat.refund(request)).rejects.toMatchObject({ code: 'payment_provider_timeout' });
    // WeChat Pay had made it: asked again, the same refund.
    expect(await wechat.refund(request)).toEqual({ outcome: 'processing' });
    expect(fake.refunds.get(no(request.refundId))?.reason).toBe('付款晚于截止时间，原路退回');
    const calls = fake.requests.length;
    expect(await wechat.refund(refundOf(paymentId, '40.00'))).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/exceeds the payment of 20.00/),
    });
    expect(await wechat.refund(refundOf(randomUUID(), '1.00'))).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/no paid order/) });
    // A compensation is a transfer to the payer: with no payer known, refused for good, without asking.
    expect(await wechat.refund({ ...refundOf(paymentId, '20.00'), reason: 'deposit_compensation', payer: null })).toEqual({
      outcome: 'rejected',
      final: true,
      reason: expect.stringMatching(/openid is not known/),
    });
    expect(fake.requests.slice(calls).map((r) => r.method)).toEqual(['GET', 'GET']);
  });
});

describe('compensation transfers (商家转账)', () => {
  test('a deposit_compensation is a transfer bill to the payer under our number: waiting for the payer is processing, FAIL final; a refusal of the call is retried; an unknown number is not found', async () => {
    const paymentId = await aPaidOrder('20.00');
    const openid = fake.orders.get(no(paymentId))!.payer!.openid;
    const request = {
      refundId: randomUUID(),
      paymentId,
      transactionId: null,
      amount: parseMoney('20.00'),
      currency: 'CNY',
      reason: 'deposit_compensation',
      payer: openid,
    };
    fake.failNext(1, { status: 403, code: 'NOT_ENOUGH', message: '商户运营账户资金不足' }, '/v3/fund-app/');
    expect(await wechat.refund(request)).toEqual({ outcome: 'rejected', reason: 'NOT_ENOUGH: 商户运营账户资金不足' });
    expect(await wechat.refund(request)).toEqual({ outcome: 'processing' });
    expect(fake.transfers.get(no(request.refundId))).toMatchObject({ openid, transfer_amount: 2000, state: 'WAIT_USER_CONFIRM' });
    expect(await wechat.queryRefund(request)).toEqual({ outcome: 'processing' });
    fake.endTransfer(no(request.refundId), 'FAIL', 'PAYEE_ACCOUNT_ABNORMAL');
    const failed = { outcome: 'rejected', final: true, reason: 'WeChat Pay transfer FAIL: PAYEE_ACCOUNT_ABNORMAL' };
    expect(await wechat.queryRefund(request)).toEqual(failed);
    // Asked again: the same bill, still failed; no second transfer.
    expect(await wechat.refund(request)).toEqual(failed);
    expect([...fake.transfers.values()].filter((x) => x.openid === openid)).toHaveLength(1);
    expect(await wechat.queryRefund({ refundId: randomUUID(), paymentId })).toEqual({ outcome: 'not_found' });
  });
});

describe('the daily trade bill', () => {
  test("the day's payments and refunds from the bill file, checked against its SHA1; no bill is an empty day; an altered file is refused", async () => {
    const paymentId = await aPaidOrder('120.50');
    const refund = { refundId: randomUUID(), paymentId, transactionId: null, amount: parseMoney('20.50'), currency: 'CNY', reason: 'pledge_cancelled' };
    await wechat.refund(refund);
    const day = businessDay(clock.now());
    // Today's bill is not out yet.
    await expect(wechat.statement(day)).rejects.toMatchObject({ code: 'payment_provider_error' });
    clock.offsetMs += 24 * 60 * 60_000;
    const lines = (await wechat.statement(day)).filter((l) => l.paymentId === paymentId);
    expect(
      lines.map((l) => ({ kind: l.kind, refundId: l.refundId, transactionId: l.transactionId, amount: l.amount.toFixed(2), currency: l.currency })),
    ).toEqual([
      { kind: 'payment', refundId: null, transactionId: fake.orders.get(no(paymentId))!.transaction_id, amount: '120.50', currency: 'CNY' },
      { kind: 'refund', refundId: refund.refundId, transactionId: fake.orders.get(no(paymentId))!.transaction_id, amount: '20.50', currency: 'CNY' },
    ]);
    expect(businessDay(lines[0].at)).toBe(day);
    fake.corruptBill();
    await expect(wechat.statement(day)).rejects.toMatchObject({
      code: 'payment_provider_error',
      detail: expect.stringMatching(/does not match its SHA1/),
    });
    expect(await wechat.statement('2020-01-01')).toEqual([]);
    expect(fake.requests.filter((r) => r.path.startsWith('/v3/billdownload/')).every((r) => r.authorized)).toBe(true);
  });
});

describe('through the app: a consumer pays and is refunded', () => {
  const paymentOf = (id: string) => t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));
  const refundsOf = (paymentId: string) => t.db.read((tx) => tx.findBy(RefundRow, { paymentId }));
  const fen = (amount: Decimal) => Number(toFen(amount));

  /** A new consumer's unpaid deposit, offered at WeChat Pay on `channel` through POST /v1/payments/:id/checkout. */
  async function aWechatCheckout(channel: 'qr' | 'h5' | 'jsapi') {
    const unpaid = await anUnpaidDeposit(bed);
    const res = await t.http
      .post(`/v1/payments/${unpaid.deposit.id}/checkout`)
      .set(unpaid.consumer.auth)
      .send({ provider: 'wechatpay', channel, ...(channel === 'jsapi' ? { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } : {}) });
    return { ...unpaid, res };
  }

  test('GET /v1/payments/providers offers WeChat Pay with its three checkouts', async () => {
    const { items } = (await t.http.get('/v1/payments/providers').expect(200)).body;
    expect(items).toContainEqual({ name: 'wechatpay', channels: ['qr', 'h5', 'jsapi'] });
  });

  test('QR: the order placed at WeChat Pay for the deposit; its TRANSACTION.SUCCESS notification makes the pledge active (204, no body); redelivered, nothing changes', async () => {
    const { deposit, pledgeId, consumer, res } = await aWechatCheckout('qr');
    expect(res.status).toBe(200);
    expect(res.body.checkout).toMatchObject({ provider: 'wechatpay', channel: 'qr', qrCode: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) });
    expect(res.body.checkout.qrSvg).toMatch(/^<svg/);
    const order = fake.orders.get(no(deposit.id))!;
    expect(order).toMatchObject({
      trade_type: 'NATIVE',
      notify_url: NOTIFY_URL,
      amount: { total: fen(deposit.amount), currency: 'CNY' },
      description: expect.stringMatching(/ · 定金$/),
    });
    expect(new Date(order.time_expire!).getTime()).toBe(Math.floor(new Date(res.body.checkout.expiresAt).getTime() / 1000) * 1000);

    const delivered = await fake.pay(no(deposit.id));
    expect({ status: delivered.status, answer: delivered.answer }).toEqual({ status: 204, answer: '' });
    const paid = await paymentOf(deposit.id);
    expect(paid).toMatchObject({ status: 'succeeded', provider: 'wechatpay', transactionId: order.transaction_id });
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
    // WeChat Pay did not see our answer and sends it again (the same id): taken once.
    expect((await fake.deliver(NOTIFY_URL, delivered, delivered.eventType)).status).toBe(204);
    expect(await paymentOf(deposit.id)).toMatchObject({ status: 'succeeded', settledAt: paid.settledAt });
    expect(await t.db.read((tx) => tx.countBy(PaymentRow, { reportedPaymentId: deposit.id, kind: 'unexpected' }))).toBe(0);
  });

  test("H5 comes back to the storefront's page of the payment; JSAPI carries the payer's openid; both paid through the same notification path", async () => {
    const h5 = await aWechatCheckout('h5');
    expect(h5.res.status).toBe(200);
    expect(new URL(h5.res.body.checkout.redirectUrl).searchParams.get('redirect_url')).toMatch(new RegExp(`/pay/${h5.deposit.id}$`));
    expect(fake.orders.get(no(h5.deposit.id))).toMatchObject({ trade_type: 'MWEB', scene_info: { payer_client_ip: '127.0.0.1' } });
    const jsapi = await aWechatCheckout('jsapi');
    expect(jsapi.res.status).toBe(200);
    expect(jsapi.res.body.checkout.jsapi).toMatchObject({
      appId: APPID,
      signType: 'RSA',
      package: `prepay_id=${fake.orders.get(no(jsapi.deposit.id))!.prepay_id}`,
    });
    for (const made of [h5, jsapi]) {
      expect((await fake.pay(no(made.deposit.id))).status).toBe(204);
      expect((await paymentOf(made.deposit.id)).status).toBe('succeeded');
    }
  });

  test('WeChat Pay failing or silent at checkout: the consumer is told 502 payment_provider_error / 504 payment_provider_timeout; asking again works', async () => {
    const { deposit, consumer } = await anUnpaidDeposit(bed);
    const ask = () => t.http.post(`/v1/payments/${deposit.id}/checkout`).set(consumer.auth).send({ provider: 'wechatpay', channel: 'qr' });
    fake.failNext(1, { status: 500, code: 'SYSTEM_ERROR', message: '系统繁忙，请稍后重试' });
    const refused = await ask().expect(502);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'payment_provider_error', detail: expect.stringMatching(/SYSTEM_ERROR 系统繁忙，请稍后重试 \(Request-ID 08/) });
    fake.stallNext(1, TIMEOUT_MS + 400);
    expect((await ask().expect(504)).body.code).toBe('payment_provider_timeout');
    expect((await ask().expect(200)).body.checkout.channel).toBe('qr');
  });

  test('a cancelled pledge: the deposit goes back through the refund API (PROCESSING), and REFUND.SUCCESS pays it out; a refund call answered too late is sent again and made once', async () => {
    const made = await aWechatCheckout('qr');
    await fake.pay(no(made.deposit.id));
    fake.stallNext(1, TIMEOUT_MS + 400, '/v3/refund/');
    await t.http.post(`/v1/pledges/${made.pledgeId}/cancel`).set(made.consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    await runDue(t, clock);
    await advance(t, clock, 60 * 60_000);
    const [refund] = await refundsOf(made.deposit.id);
    expect(refund.status).toBe('processing');
    const sent = [...fake.refunds.values()].filter((r) => r.out_trade_no === no(made.deposit.id));
    expect(sent).toEqual([
      expect.objectContaining({
        out_refund_no: no(refund.id),
        reason: '取消预订，定金原路退回',
        notify_url: NOTIFY_URL,
        amount: { refund: fen(made.deposit.amount), total: fen(made.deposit.amount), currency: 'CNY' },
      }),
    ]);
    const delivered = await fake.finishRefund(no(refund.id), 'SUCCESS');
    expect({ status: delivered.status, answer: delivered.answer }).toEqual({ status: 204, answer: '' });
    expect((await refundsOf(made.deposit.id))[0].status).toBe('succeeded');
    expect((await fake.deliver(NOTIFY_URL, delivered, delivered.eventType)).status).toBe(204);
    expect((await refundsOf(made.deposit.id)).map((r) => r.status)).toEqual(['succeeded']);
  });

  test('out of order: REFUND.SUCCESS arrives while our refund call still waits for its answer; the refund is paid out once, and not sent again', async () => {
    const made = await aWechatCheckout('qr');
    await fake.pay(no(made.deposit.id));
    fake.stallNext(1, TIMEOUT_MS + 400, '/v3/refund/');
    await t.http.post(`/v1/pledges/${made.pledgeId}/cancel`).set(made.consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    const refunding = runDue(t, clock);
    // WeChat Pay has made the refund and notifies before it answers the call.
    const sentOf = () => [...fake.refunds.values()].find((r) => r.out_trade_no === no(made.deposit.id));
    await waitFor(() => sentOf() !== undefined, 10_000, 'the refund call');
    const sent = sentOf()!;
    expect((await refundsOf(made.deposit.id))[0].status).toBe('pending');
    expect((await fake.finishRefund(sent.out_refund_no, 'SUCCESS')).status).toBe(204);
    await refunding;
    expect((await refundsOf(made.deposit.id))[0].status).toBe('succeeded');
    const calls = fake.requests.length;
    await advance(t, clock, 60 * 60_000);
    // Nothing more about this refund: not sent again, not asked after. (Other tests' refunds still open may be
    // asked after by payments.query-open, a job every minute on the real clock, when the test crosses a minute.)
    const aboutThisRefund = (r: { method: string; path: string }) =>
      r.path.startsWith('/v3/refund/') && (r.method === 'POST' || r.path.includes(sent.out_refund_no));
    expect(fake.requests.slice(calls).filter(aboutThisRefund)).toEqual([]);
    expect([...fake.refunds.values()].filter((r) => r.out_trade_no === no(made.deposit.id))).toHaveLength(1);
  });

  test("a campaign cancelled after it succeeded: each deposit is refunded, and the same again transferred to the payer's openid (商家转账); asked again, nothing is paid twice", async () => {
    const openids = new Map<string, string>();
    const deposits = await aCampaignCancelledAfterSuccess(bed, 'wechatpay', async (paymentId) => {
      openids.set(paymentId, `oUpF8u${randomUUID().replaceAll('-', '').slice(0, 22)}`);
      expect((await fake.pay(no(paymentId), { openid: openids.get(paymentId)! })).status).toBe(204);
    });
    for (const { payment, refund, compensation } of deposits) {
      expect(payment.payer).toBe(openids.get(payment.id));
      expect([refund.status, compensation.status]).toEqual(['processing', 'processing']);
      expect([...fake.refunds.values()].filter((r) => r.out_trade_no === no(payment.id))).toEqual([
        expect.objectContaining({ out_refund_no: no(refund.id), amount: expect.objectContaining({ refund: fen(payment.amount) }) }),
      ]);
      // Waiting for the payer to confirm receipt in WeChat.
      expect(fake.transfers.get(no(compensation.id))).toMatchObject({
        appid: APPID,
        openid: openids.get(payment.id),
        transfer_scene_id: TRANSFER_SCENE_ID,
        transfer_amount: fen(payment.amount),
        transfer_remark: '预售活动取消，定金双倍返还',
        transfer_scene_report_infos: [{ info_type: '赔付原因', info_content: expect.any(String) }],
        state: 'WAIT_USER_CONFIRM',
      });
      expect((await fake.finishRefund(no(refund.id), 'SUCCESS')).status).toBe(204);
      fake.endTransfer(no(compensation.id), 'SUCCESS');
    }
    // No notification of the transfer: the query job asks a few minutes on.
    clock.offsetMs += 5 * 60_000;
    await t.app.services.reconciliation.queryOpen();
    expect(fake.requests).toContainEqual({
      method: 'GET',
      path: `/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/${no(deposits[0].compensation.id)}`,
      authorized: true,
    });
    for (const { payment } of deposits)
      expect((await refundsOf(payment.id)).map((r) => `${r.reason} ${r.status}`).sort()).toEqual([
        'campaign_cancelled succeeded',
        'deposit_compensation succeeded',
      ]);
    // The refund job run again, and the transfer asked again with its number: the same bill, paid once.
    expect(await t.app.services.payments.sendRefunds(deposits.map((d) => d.compensation.id))).toEqual([undefined, undefined]);
    const { payment, compensation } = deposits[0];
    const again = { refundId: compensation.id, paymentId: payment.id, transactionId: null, amount: compensation.amount, currency: 'CNY' };
    expect(await wechat.refund({ ...again, reason: 'deposit_compensation', payer: payment.payer })).toEqual({ outcome: 'succeeded' });
    for (const { payment } of deposits) expect([...fake.transfers.values()].filter((x) => x.openid === openids.get(payment.id))).toHaveLength(1);
    // The day's trade bill shows the deposits' refunds and not the transfers, which is no difference.
    const day = businessDay(clock.now());
    clock.offsetMs += 24 * 60 * 60_000;
    try {
      const ids = deposits.flatMap((d) => [d.payment.id, d.refund.id, d.compensation.id]);
      const report = await t.app.services.reconciliation.compareStatement('wechatpay', day);
      expect(report.differences.filter((d) => ids.includes(d.paymentId ?? '') || ids.includes(d.refundId ?? ''))).toEqual([]);
    } finally {
      clock.offsetMs -= 24 * 60 * 60_000;
    }
  });

  test('a compensation whose payer WeChat Pay never named (paid before payers were kept) is refused once, with its reason, for an operator: not sent again', async () => {
    const [{ compensation, refund }] = await aCampaignCancelledAfterSuccess(
      bed,
      'wechatpay',
      async (paymentId) => {
        await fake.pay(no(paymentId));
        await t.db.transaction((tx) => tx.update(PaymentRow, { id: paymentId }, { payer: null }));
      },
      1,
    );
    const failed = await t.db.read((tx) => tx.findOneByOrFail(RefundRow, { id: compensation.id }));
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/openid is not known .*pay it by hand/) });
    expect(fake.transfers.has(no(compensation.id))).toBe(false);
    await advance(t, clock, 6 * 60 * 60_000);
    expect(await t.db.read((tx) => tx.findOneByOrFail(RefundRow, { id: compensation.id }))).toMatchObject({ status: 'failed', attempts: 1 });
    const listed = (await t.http.get('/v1/refunds?status=failed&limit=100').set(bed.operator.auth).expect(200)).body.items;
    expect(listed).toContainEqual(expect.objectContaining({ id: compensation.id, reason: 'deposit_compensation', lastError: failed.lastError }));
    expect((await fake.finishRefund(no(refund.id), 'SUCCESS')).status).toBe(204);
  });

  test('a notification lost on the way: the query job finds the deposit paid at WeChat Pay a few minutes after its checkout; the notification arriving late after all changes nothing', async () => {
    const { deposit, consumer, pledgeId } = await aWechatCheckout('qr');
    fake.loseNextNotifications(1);
    const lost = await fake.pay(no(deposit.id));
    expect(lost.status).toBe('lost');
    await t.app.services.reconciliation.queryOpen();
    expect((await paymentOf(deposit.id)).status).toBe('pending');
    clock.offsetMs += 5 * 60_000;
    await t.app.services.reconciliation.queryOpen();
    expect(fake.requests).toContainEqual({ method: 'GET', path: `/v3/pay/transactions/out-trade-no/${no(deposit.id)}?mchid=${MCHID}`, authorized: true });
    const paid = await paymentOf(deposit.id);
    expect(paid).toMatchObject({
      status: 'succeeded',
      provider: 'wechatpay',
      transactionId: fake.orders.get(no(deposit.id))!.transaction_id,
      nextQueryAt: null,
    });
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
    // WeChat Pay's retry of it, signed anew: the same money, taken once.
    const late = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', transactionResource(fake.orders.get(no(deposit.id))!), { id: lost.id });
    expect((await fake.deliver(NOTIFY_URL, late, 'TRANSACTION.SUCCESS')).status).toBe(204);
    expect(await paymentOf(deposit.id)).toMatchObject({ status: 'succeeded', settledAt: paid.settledAt });
    expect(await t.db.read((tx) => tx.countBy(PaymentRow, { reportedPaymentId: deposit.id, kind: 'unexpected' }))).toBe(0);
  });

  test("the daily comparison reads WeChat Pay's trade bill: a deposit paid there whose notification was lost is settled from it, once", async () => {
    const { deposit, consumer, pledgeId } = await aWechatCheckout('qr');
    fake.loseNextNotifications(1);
    await fake.pay(no(deposit.id));
    const day = businessDay(clock.now());
    clock.offsetMs += 24 * 60 * 60_000;
    try {
      const report = await t.app.services.reconciliation.compareStatement('wechatpay', day);
      expect(report.differences.filter((d) => d.paymentId === deposit.id)).toEqual([
        expect.objectContaining({ kind: 'payment_not_recorded', resolution: 'settled', transactionId: fake.orders.get(no(deposit.id))!.transaction_id }),
      ]);
      expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
      const again = await t.app.services.reconciliation.compareStatement('wechatpay', day);
      expect(again.differences.filter((d) => d.paymentId === deposit.id)).toEqual([]);
    } finally {
      clock.offsetMs -= 24 * 60 * 60_000;
    }
  });

  test('a replayed notification (signed 10 minutes ago) for a pending deposit changes nothing and is answered {"code":"FAIL"}', async () => {
    const { deposit } = await anUnpaidDeposit(bed);
    const order = {
      appid: APPID,
      mchid: MCHID,
      out_trade_no: no(deposit.id),
      transaction_id: '4200000000202612050000000009',
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      success_time: '2026-12-05T10:00:00+08:00',
      amount: { total: fen(deposit.amount) },
    };
    const stale = fake.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', transactionResource(order), {
      at: new Date(clock.now().getTime() - 600_000),
    });
    const answer = await fake.deliver(NOTIFY_URL, stale, 'TRANSACTION.SUCCESS');
    expect({ status: answer.status, body: JSON.parse(answer.answer) }).toEqual({
      status: 401,
      body: { code: 'FAIL', message: expect.stringMatching(/replay/) },
    });
    expect((await paymentOf(deposit.id)).status).toBe('pending');
  });
});

test('partly or wrongly configured: the service refuses to start and lists every problem, the platform’s and WeChat Pay’s', async () => {
  const { code, stderr } = await runServiceToExit({ PORT: 'eighty', WECHATPAY_MCHID: MCHID, WECHATPAY_NOTIFY_URL: 'http://shop.example.com/pay?x=1' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^Invalid configuration:\n/);
  for (const problem of [
    'PORT:',
    'WECHATPAY_APPID: is required',
    'WECHATPAY_MERCHANT_SERIAL: is required',
    'WECHATPAY_PRIVATE_KEY: is required',
    'WECHATPAY_APIV3_KEY: is required',
    'WECHATPAY_PUBLIC_KEY: is required',
    'WECHATPAY_NOTIFY_URL: must be an https URL',
  ])
    expect(stderr).toContain(problem);
});

/** This file's merchant's WeChat Pay gateway, outside the app, against a WeChat Pay at `baseUrl`. */
function gatewayAt(baseUrl: string, logger = createLogger('silent')): PaymentGateway {
  const parsed = wechatPayConfig(wechatEnv(baseUrl));
  if (!('config' in parsed) || !parsed.config) throw new Error(`test configuration: ${JSON.stringify(parsed)}`);
  return new WechatPayGateway(parsed.config, { clock, logger });
}

/** The WECHATPAY_ variables of this file's merchant, against a WeChat Pay at `baseUrl`. */
function wechatEnv(baseUrl: string): Record<string, string> {
  return {
    ...fake.serviceEnv(merchant.privateKey, PUBLIC_KEY_ID, NOTIFY_URL, baseUrl),
    WECHATPAY_PLATFORM_CERTS: FIXTURE_PLATFORM_CERTIFICATE,
    WECHATPAY_TIMEOUT_MS: String(TIMEOUT_MS),
    WECHATPAY_TRANSFER_SCENE_ID: TRANSFER_SCENE_ID,
  };
}

/** A transaction notification's resource as WeChat Pay writes it. */
function transactionResource(order: {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type: string;
  trade_state: string;
  success_time?: string;
  amount: { total: number };
}) {
  return {
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.out_trade_no,
    transaction_id: order.transaction_id,
    trade_type: order.trade_type,
    trade_state: order.trade_state,
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: order.success_time,
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: order.amount.total, payer_total: order.amount.total, currency: 'CNY', payer_currency: 'CNY' },
  };
}
