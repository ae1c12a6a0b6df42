import { type KeyObject, createCipheriv, createHash, createPublicKey, createSign, createVerify, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DateTime } from 'luxon';
import { fromFen } from '../../src/platform/money';

/**
 * A stand-in for WeChat Pay API v3 (https://api.mch.weixin.qq.com), written from the published
 * specification as the provider's side of it: a real HTTP server on 127.0.0.1 that
 * - refuses any request whose `Authorization` (WECHATPAY2-SHA256-RSA2048) is not our merchant's
 *   signature of `method\npath?query\ntimestamp\nnonce\nbody\n` (401 SIGN_ERROR), or is 5 minutes old;
 * - keeps orders and refunds in memory and answers the documented JSON, signed as WeChat Pay signs
 *   (`timestamp\nnonce\nbody\n`, SHA256withRSA, Wechatpay-* headers) with the key the request's
 *   `Wechatpay-Serial` names (the 微信支付公钥) or else its platform certificate's;
 * - "pays" an order, or ends a refund, by POSTing the encrypted (AEAD_AES_256_GCM with the APIv3 key),
 *   signed notification to the order's notify_url;
 * - serves the trade bill (tradebill → download_url, SHA1, backtick CSV in yuan);
 * - can be told to fail or stall its next answers, lose its next notifications, or corrupt a bill.
 * Values are the documentation's examples where it gives them (prepay ids, code_url, h5_url shapes).
 */

/**
 * A merchant for the tests: the documentation's example merchant number, AppID and certificate serial, an
 * APIv3 key and a 微信支付公钥 id of the documented shapes.
 */
export const WECHATPAY_TEST_MERCHANT = {
  mchid: '1900009191',
  appid: 'wxd678efh567hg6787',
  serial: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
  publicKeyId: 'PUB_KEY_ID_0114232134912410000000000001',
  apiV3Key: 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb',
};

/** One key WeChat Pay signs with: a 微信支付公钥 (id PUB_KEY_ID_…) or a platform certificate (id = its serial). */
export interface FakePlatformKey {
  id: string;
  privateKey: KeyObject;
}

export interface FakeWechatPayOptions {
  mchid: string;
  appid: string;
  apiV3Key: string;
  merchant: { serial: string; publicKey: KeyObject };
  /** The platform certificate first (what answers are signed with unless a request names another). */
  platformKeys: FakePlatformKey[];
  /** Which key signs notifications (id); by default the first. */
  notifyWith?: string;
  now?: () => Date;
}

type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'PAYERROR' | 'USERPAYING' | 'REVOKED';

interface FakeOrder {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  notify_url: string;
  time_expire?: string;
  amount: { total: number; currency: string };
  trade_type: 'NATIVE' | 'MWEB' | 'JSAPI';
  trade_state: TradeState;
  prepay_id: string;
  payer?: { openid: string };
  scene_info?: { payer_client_ip: string; h5_info: { type: string } };
  transaction_id?: string;
  success_time?: string;
}

interface FakeRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  reason?: string;
  notify_url?: string;
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  create_time: string;
  success_time?: string;
  amount: { refund: number; total: number; currency: string };
}

/** A 商家转账 bill (the upgraded API): it waits for the payer to confirm receipt in WeChat. */
interface FakeTransfer {
  out_bill_no: string;
  transfer_bill_no: string;
  appid: string;
  openid: string;
  transfer_scene_id: string;
  transfer_amount: number;
  transfer_remark: string;
  transfer_scene_report_infos: { info_type: string; info_content: string }[];
  state: 'WAIT_USER_CONFIRM' | 'SUCCESS' | 'FAIL';
  fail_reason?: string;
  create_time: string;
  update_time: string;
}

export interface DeliveredNotification {
  id: string;
  eventType: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Our answer's status, or 'lost' when the fake dropped it on the way. */
  status: number | 'lost';
  answer: string;
}

/** A fault for one coming API call: to any path, or only to paths starting with `only`. */
type Fault = ({ kind: 'fail'; status: number; code: string; message: string } | { kind: 'stall'; ms: number }) & { only?: string };

const FIXTURES = path.join(__dirname, 'fixtures');
/** The platform certificate fixture (test/support/fixtures/README.md): its serial and its key. */
export const FIXTURE_PLATFORM_CERTIFICATE = readFileSync(path.join(FIXTURES, 'wechatpay-platform-cert.pem'), 'utf8');
export const FIXTURE_PLATFORM_CERTIFICATE_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F0E2C3';
export const FIXTURE_PLATFORM_CERTIFICATE_KEY = readFileSync(path.join(FIXTURES, 'wechatpay-platform-key.pem'), 'utf8');

const beijing = (at: Date) => DateTime.fromJSDate(at, { zone: 'Asia/Shanghai' });
const rfc3339 = (at: Date) => beijing(at).toISO({ suppressMilliseconds: true })!;

export class FakeWechatPay {
  readonly orders = new Map<string, FakeOrder>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly transfers = new Map<string, FakeTransfer>();
  /** Every request, whether its signature held. */
  readonly requests: { method: string; path: string; authorized: boolean }[] = [];
  private readonly faults: Fault[] = [];
  private notificationsToLose = 0;
  private corruptNextBill = false;
  private readonly bills = new Map<string, Buffer>();
  private server!: http.Server;
  baseUrl = '';
  /** Notifications go to the notify_url's path on this origin (the app under test) rather than to its https host. */
  notifyOrigin: string | undefined;

  private constructor(private readonly options: FakeWechatPayOptions) {}

  static async start(options: FakeWechatPayOptions): Promise<FakeWechatPay> {
    const fake = new FakeWechatPay(options);
    fake.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        fake.handle(req, Buffer.concat(chunks)).then(
          (answer) => fake.answer(req, res, answer),
          (error: unknown) => fake.answer(req, res, { status: 500, json: { code: 'SYSTEM_ERROR', message: String(error) } }),
        );
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * The service's WECHATPAY_ variables for this fake's merchant: its number, AppID, certificate serial and
   * APIv3 key, the merchant's private key, the 微信支付公钥 `publicKeyId` (the public half of the key the
   * fake signs with under that id), an https notify URL (WeChat Pay's rule; `notifyOrigin` sends it to the
   * app under test) and this fake, or `baseUrl`, as WeChat Pay.
   */
  serviceEnv(merchantPrivateKey: KeyObject, publicKeyId: string, notifyUrl: string, baseUrl = this.baseUrl): Record<string, string> {
    const key = this.options.platformKeys.find((k) => k.id === publicKeyId);
    if (!key) throw new Error(`fake WeChat Pay: no key ${publicKeyId}`);
    return {
      WECHATPAY_MCHID: this.options.mchid,
      WECHATPAY_APPID: this.options.appid,
      WECHATPAY_MERCHANT_SERIAL: this.options.merchant.serial,
      WECHATPAY_PRIVATE_KEY: String(merchantPrivateKey.export({ type: 'pkcs8', format: 'pem' })),
      WECHATPAY_APIV3_KEY: this.options.apiV3Key,
      WECHATPAY_PUBLIC_KEY_ID: publicKeyId,
      WECHATPAY_PUBLIC_KEY: String(createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' })),
      WECHATPAY_NOTIFY_URL: notifyUrl,
      WECHATPAY_BASE_URL: baseUrl,
    };
  }

  // ---- what a test tells it ----

  /** The next `count` API calls (to paths starting with `only`, if given) are answered with this error (e.g. 500 SYSTEM_ERROR, 403 NOT_ENOUGH). */
  failNext(count: number, error: { status: number; code: string; message: string }, only?: string): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'fail', ...error, only });
  }

  /** The next `count` API calls (to paths starting with `only`, if given) are carried out, but answered only after `ms` (longer than the client waits). */
  stallNext(count: number, ms: number, only?: string): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'stall', ms, only });
  }

  loseNextNotifications(count: number): void {
    this.notificationsToLose += count;
  }

  /** The next bill file served differs from the hash its tradebill answer gave. */
  corruptBill(): void {
    this.corruptNextBill = true;
  }

  /** The payer pays: the order is SUCCESS, and its TRANSACTION.SUCCESS notification is sent. */
  async pay(outTradeNo: string, payer = { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }): Promise<DeliveredNotification> {
    const order = this.orders.get(outTradeNo);
    if (!order) throw new Error(`fake WeChat Pay: no order ${outTradeNo}`);
    if (order.trade_state !== 'NOTPAY' && order.trade_state !== 'USERPAYING') throw new Error(`fake WeChat Pay: order ${outTradeNo} is ${order.trade_state}`);
    Object.assign(order, {
      trade_state: 'SUCCESS',
      transaction_id: `42000${String(randomInt(10 ** 9)).padStart(9, '0')}${beijing(this.now()).toFormat('yyyyMMdd')}${String(randomInt(10 ** 6)).padStart(6, '0')}`,
      success_time: rfc3339(this.now()),
      payer: order.payer ?? payer,
    });
    return this.notify(order.notify_url, 'TRANSACTION.SUCCESS', '支付成功', 'transaction', this.transactionJson(order));
  }

  /** The payer's bank declines (trade_state PAYERROR): WeChat Pay sends no notification of that. */
  decline(outTradeNo: string): void {
    this.orders.get(outTradeNo)!.trade_state = 'PAYERROR';
  }

  /** A refund under way ends: SUCCESS, ABNORMAL or CLOSED, and its REFUND.* notification is sent. */
  async finishRefund(outRefundNo: string, status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED'): Promise<DeliveredNotification> {
    const refund = this.refunds.get(outRefundNo);
    if (!refund) throw new Error(`fake WeChat Pay: no refund ${outRefundNo}`);
    refund.status = status;
    if (status === 'SUCCESS') refund.success_time = rfc3339(this.now());
    const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' }[status];
    return this.notify(refund.notify_url ?? this.orders.get(refund.out_trade_no)!.notify_url, `REFUND.${status}`, summary, 'refund', {
      mchid: this.options.mchid,
      out_trade_no: refund.out_trade_no,
      transaction_id: refund.transaction_id,
      out_refund_no: refund.out_refund_no,
      refund_id: refund.refund_id,
      refund_status: status,
      ...(refund.success_time ? { success_time: refund.success_time } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: refund.amount.total, refund: refund.amount.refund, payer_total: refund.amount.total, payer_refund: refund.amount.refund },
    });
  }

  /** The payer confirms receipt of a transfer in WeChat (or it fails, e.g. their account is restricted): its bill ends so. */
  endTransfer(outBillNo: string, state: 'SUCCESS' | 'FAIL', failReason?: string): void {
    const transfer = this.transfers.get(outBillNo);
    if (!transfer) throw new Error(`fake WeChat Pay: no transfer ${outBillNo}`);
    if (transfer.state !== 'WAIT_USER_CONFIRM') throw new Error(`fake WeChat Pay: transfer ${outBillNo} is ${transfer.state}`);
    Object.assign(transfer, { state, update_time: rfc3339(this.now()), ...(failReason ? { fail_reason: failReason } : {}) });
  }

  /**
   * A notification as WeChat Pay builds it: the resource encrypted with the APIv3 key, the body signed.
   * `signWith`/`at`/`apiV3Key` let a test forge one (another key, another time, another APIv3 key).
   */
  notification(
    eventType: string,
    summary: string,
    originalType: string,
    resource: object,
    options: { at?: Date; signWith?: FakePlatformKey; apiV3Key?: string; id?: string } = {},
  ): { id: string; headers: Record<string, string>; body: Buffer } {
    const at = options.at ?? this.now();
    const nonce = randomBytes(6).toString('hex');
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(options.apiV3Key ?? this.options.apiV3Key), Buffer.from(nonce));
    cipher.setAAD(Buffer.from(originalType));
    const encrypted = Buffer.concat([cipher.update(JSON.stringify(resource)), cipher.final(), cipher.getAuthTag()]);
    const id = options.id ?? randomUUID();
    const body = Buffer.from(
      JSON.stringify({
        id,
        create_time: rfc3339(at),
        resource_type: 'encrypt-resource',
        event_type: eventType,
        summary,
        resource: {
          original_type: originalType,
          algorithm: 'AEAD_AES_256_GCM',
          ciphertext: encrypted.toString('base64'),
          associated_data: originalType,
          nonce,
        },
      }),
    );
    const key = options.signWith ?? this.notifyKey();
    return { id, headers: { 'content-type': 'application/json', ...this.signatureHeaders(key, body, at) }, body };
  }

  /** Sends a notification (built by `notification`, or one delivered before, again) to a notify URL; answers what our side said. */
  async deliver(
    notifyUrl: string,
    notification: { id: string; headers: Record<string, string>; body: Buffer },
    eventType: string,
  ): Promise<DeliveredNotification> {
    const delivered: DeliveredNotification = {
      id: notification.id,
      eventType,
      headers: notification.headers,
      body: notification.body,
      status: 'lost',
      answer: '',
    };
    if (this.notificationsToLose > 0) {
      this.notificationsToLose -= 1;
      return delivered;
    }
    const url = new URL(notifyUrl);
    const target = this.notifyOrigin ? new URL(url.pathname, this.notifyOrigin) : url;
    const response = await fetch(target, { method: 'POST', headers: notification.headers, body: new Uint8Array(notification.body) });
    delivered.status = response.status;
    delivered.answer = await response.text();
    return delivered;
  }

  private notify(notifyUrl: string, eventType: string, summary: string, originalType: string, resource: object): Promise<DeliveredNotification> {
    return this.deliver(notifyUrl, this.notification(eventType, summary, originalType, resource), eventType);
  }

  private notifyKey(): FakePlatformKey {
    const { platformKeys, notifyWith } = this.options;
    return platformKeys.find((k) => k.id === notifyWith) ?? platformKeys[0];
  }

  /** Wechatpay-* headers over `timestamp\nnonce\nbody\n`. */
  private signatureHeaders(key: FakePlatformKey, body: Buffer, at: Date): Record<string, string> {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const signature = createSign('RSA-SHA256')
      .update(Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]))
      .sign(key.privateKey, 'base64');
    return {
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': key.id,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    };
  }

  // ---- the API ----

  private answer(req: http.IncomingMessage, res: http.ServerResponse, answer: Answer): void {
    const requestId = `08${randomBytes(12).toString('hex').toUpperCase()}`;
    if (answer.file) {
      // A bill file: not signed; the hash in the signed tradebill answer vouches for it.
      res.writeHead(answer.status, { 'content-type': 'application/octet-stream', 'request-id': requestId }).end(answer.file);
      return;
    }
    const body = Buffer.from(answer.json === undefined ? '' : JSON.stringify(answer.json));
    const named = this.options.platformKeys.find((k) => k.id === req.headers['wechatpay-serial']);
    const headers = { 'request-id': requestId, ...this.signatureHeaders(named ?? this.options.platformKeys[0], body, this.now()) };
    res.writeHead(answer.status, body.length > 0 ? { ...headers, 'content-type': 'application/json' } : headers).end(body);
  }

  private async handle(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const signError = this.checkAuthorization(req, method, url, body);
    this.requests.push({ method, path: url.pathname + url.search, authorized: signError === undefined });
    if (signError) return { status: 401, json: { code: 'SIGN_ERROR', message: signError } };
    const at = this.faults.findIndex((f) => f.only === undefined || url.pathname.startsWith(f.only));
    const fault = at < 0 ? undefined : this.faults.splice(at, 1)[0];
    if (fault?.kind === 'fail') return { status: fault.status, json: { code: fault.code, message: fault.message } };
    const answer = this.route(method, url, body);
    if (fault?.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    return answer;
  }

  /** Undefined when the request is our merchant's, signed within 5 minutes; else WeChat Pay's complaint. */
  private checkAuthorization(req: http.IncomingMessage, method: string, url: URL, body: Buffer): string | undefined {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return 'Authorization 不是 WECHATPAY2-SHA256-RSA2048';
    const fields = Object.fromEntries([...header.slice(26).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (fields.mchid !== this.options.mchid) return '商户号与签名不匹配';
    if (fields.serial_no !== this.options.merchant.serial) return '商户证书序列号有误';
    if (!/^\d+$/.test(fields.timestamp ?? '') || Math.abs(this.now().getTime() / 1000 - Number(fields.timestamp)) > 300) return '签名时间戳已过期';
    const message = Buffer.concat([
      Buffer.from(`${method}\n${url.pathname}${url.search}\n${fields.timestamp}\n${fields.nonce_str}\n`),
      body,
      Buffer.from('\n'),
    ]);
    const valid = createVerify('RSA-SHA256')
      .update(message)
      .verify(this.options.merchant.publicKey, fields.signature ?? '', 'base64');
    return valid ? undefined : '签名错误';
  }

  private route(method: string, url: URL, raw: Buffer): Answer {
    const p = url.pathname;
    const order = /^\/v3\/pay\/transactions\/(native|h5|jsapi)$/.exec(p);
    if (method === 'POST' && order) return this.createOrder(order[1] as 'native' | 'h5' | 'jsapi', json(raw));
    const query = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(p);
    if (method === 'GET' && query) {
      if (url.searchParams.get('mchid') !== this.options.mchid) return invalid('PARAM_ERROR', 'mchid 与请求的商户号不一致');
      const found = this.orders.get(query[1]);
      return found ? { status: 200, json: this.transactionJson(found) } : { status: 404, json: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } };
    }
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') return this.createRefund(json(raw));
    const refund = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p);
    if (method === 'GET' && refund) {
      const found = this.refunds.get(refund[1]);
      return found ? { status: 200, json: refundJson(found) } : { status: 404, json: { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' } };
    }
    if (method === 'POST' && p === '/v3/fund-app/mch-transfer/transfer-bills') return this.createTransfer(json(raw));
    const transfer = /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)$/.exec(p);
    if (method === 'GET' && transfer) {
      const found = this.transfers.get(transfer[1]);
      return found ? { status: 200, json: this.transferJson(found) } : { status: 404, json: { code: 'NOT_FOUND', message: '记录不存在' } };
    }
    if (method === 'GET' && p === '/v3/bill/tradebill') return this.tradeBill(url);
    if (method === 'GET' && p === '/v3/billdownload/file') {
      const file = this.bills.get(url.searchParams.get('token') ?? '');
      if (!file) return { status: 404, json: { code: 'RESOURCE_NOT_EXISTS', message: '下载地址已失效' } };
      if (!this.corruptNextBill) return { status: 200, file };
      this.corruptNextBill = false;
      return { status: 200, file: Buffer.concat([file, Buffer.from('`tampered\n')]) };
    }
    return { status: 404, json: { code: 'NOT_FOUND', message: `no such API: ${method} ${p}` } };
  }

  private createOrder(kind: 'native' | 'h5' | 'jsapi', body: Record<string, unknown> | undefined): Answer {
    if (!body) return invalid('PARAM_ERROR', '请求体不是 JSON');
    if (body.appid !== this.options.appid) return invalid('PARAM_ERROR', 'appid 与 mchid 不匹配');
    if (body.mchid !== this.options.mchid) return invalid('PARAM_ERROR', 'mchid 与请求的商户号不一致');
    const outTradeNo = body.out_trade_no;
    if (typeof outTradeNo !== 'string' || !/^[0-9A-Za-z_\-|*]{6,32}$/.test(outTradeNo)) return invalid('PARAM_ERROR', 'out_trade_no 格式不正确');
    if (typeof body.description !== 'string' || body.description.length === 0 || [...body.description].length > 127)
      return invalid('PARAM_ERROR', 'description 长度不正确');
    const notifyUrl = body.notify_url;
    if (typeof notifyUrl !== 'string' || !notifyUrl.startsWith('https://') || notifyUrl.includes('?'))
      return invalid('PARAM_ERROR', 'notify_url 须为不带参数的 https 地址');
    const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
    if (!amount || !Number.isInteger(amount.total) || (amount.total as number) < 1 || (amount.currency ?? 'CNY') !== 'CNY')
      return invalid('PARAM_ERROR', 'amount.total 须为正整数（分），currency 为 CNY');
    if (typeof body.time_expire === 'string' && !DateTime.fromISO(body.time_expire, { setZone: true }).isValid)
      return invalid('PARAM_ERROR', 'time_expire 格式不正确');
    const sceneInfo = body.scene_info as FakeOrder['scene_info'];
    if (kind === 'h5' && (!sceneInfo?.payer_client_ip || !sceneInfo.h5_info?.type))
      return invalid('PARAM_ERROR', 'scene_info.payer_client_ip 与 h5_info.type 必填');
    const payer = body.payer as { openid?: unknown } | undefined;
    if (kind === 'jsapi' && typeof payer?.openid !== 'string') return invalid('PARAM_ERROR', 'payer.openid 必填');
    const tradeType = ({ native: 'NATIVE', h5: 'MWEB', jsapi: 'JSAPI' } as const)[kind];
    let order = this.orders.get(outTradeNo);
    if (order) {
      if (order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND') return { status: 400, json: { code: 'ORDERPAID', message: '该订单已支付' } };
      // The same order placed again is answered with the same prepay; anything different is a clash.
      if (order.trade_type !== tradeType || order.amount.total !== amount.total) return invalid('INVALID_REQUEST', '201 商户订单号重复');
    } else {
      order = {
        appid: this.options.appid,
        mchid: this.options.mchid,
        description: body.description,
        out_trade_no: outTradeNo,
        notify_url: notifyUrl,
        time_expire: body.time_expire as string | undefined,
        amount: { total: amount.total as number, currency: 'CNY' },
        trade_type: tradeType,
        trade_state: 'NOTPAY',
        prepay_id: `wx${beijing(this.now()).toFormat('ddHHmmss')}${randomBytes(13).toString('hex')}`,
        ...(kind === 'jsapi' ? { payer: { openid: payer!.openid as string } } : {}),
        ...(kind === 'h5' ? { scene_info: sceneInfo } : {}),
      };
      this.orders.set(outTradeNo, order);
    }
    if (kind === 'native') return { status: 200, json: { code_url: `weixin://wxpay/bizpayurl?pr=${order.prepay_id.slice(-9)}` } };
    if (kind === 'h5')
      return { status: 200, json: { h5_url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${order.prepay_id}&package=2150917749` } };
    return { status: 200, json: { prepay_id: order.prepay_id } };
  }

  private createRefund(body: Record<string, unknown> | undefined): Answer {
    if (!body) return invalid('PARAM_ERROR', '请求体不是 JSON');
    const outRefundNo = body.out_refund_no;
    if (typeof outRefundNo !== 'string' || !/^[0-9A-Za-z_\-|*@]{1,64}$/.test(outRefundNo)) return invalid('PARAM_ERROR', 'out_refund_no 格式不正确');
    const order = [...this.orders.values()].find((o) => o.out_trade_no === body.out_trade_no || (o.transaction_id && o.transaction_id === body.transaction_id));
    if (!order) return { status: 404, json: { code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' } };
    if (order.trade_state !== 'SUCCESS' && order.trade_state !== 'REFUND') return invalid('INVALID_REQUEST', '订单未支付，不能退款');
    const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    if (!amount || !Number.isInteger(amount.refund) || (amount.refund as number) < 1 || amount.currency !== 'CNY')
      return invalid('PARAM_ERROR', 'amount.refund 须为正整数（分）');
    if (amount.total !== order.amount.total) return invalid('PARAM_ERROR', 'amount.total 与订单金额不一致');
    const existing = this.refunds.get(outRefundNo);
    // The same refund asked again (a retry) is the same refund: nothing is paid twice.
    if (existing)
      return existing.amount.refund === amount.refund ? { status: 200, json: refundJson(existing) } : invalid('INVALID_REQUEST', '退款金额与之前请求不一致');
    const refunded = [...this.refunds.values()]
      .filter((r) => r.out_trade_no === order.out_trade_no && r.status !== 'CLOSED')
      .reduce((s, r) => s + r.amount.refund, 0);
    if (refunded + (amount.refund as number) > order.amount.total) return invalid('INVALID_REQUEST', '申请退款金额超过订单可退金额');
    if (typeof body.notify_url === 'string' && (!body.notify_url.startsWith('https://') || body.notify_url.includes('?')))
      return invalid('PARAM_ERROR', 'notify_url 须为不带参数的 https 地址');
    const refund: FakeRefund = {
      refund_id: `50000${String(randomInt(10 ** 9)).padStart(9, '0')}${beijing(this.now()).toFormat('yyyyMMdd')}${String(randomInt(10 ** 6)).padStart(6, '0')}`,
      out_refund_no: outRefundNo,
      out_trade_no: order.out_trade_no,
      transaction_id: order.transaction_id!,
      reason: body.reason as string | undefined,
      notify_url: body.notify_url as string | undefined,
      status: 'PROCESSING',
      create_time: rfc3339(this.now()),
      amount: { refund: amount.refund as number, total: order.amount.total, currency: 'CNY' },
    };
    this.refunds.set(outRefundNo, refund);
    order.trade_state = 'REFUND';
    return { status: 200, json: refundJson(refund) };
  }

  /** 发起转账 (the upgraded 商家转账): one bill per out_bill_no, asked again answered with the same bill; the payer confirms it later. */
  private createTransfer(body: Record<string, unknown> | undefined): Answer {
    if (!body) return invalid('PARAM_ERROR', '请求体不是 JSON');
    if (body.appid !== this.options.appid) return invalid('PARAM_ERROR', 'appid 与 mchid 不匹配');
    const outBillNo = body.out_bill_no;
    if (typeof outBillNo !== 'string' || !/^[0-9A-Za-z]{5,32}$/.test(outBillNo)) return invalid('PARAM_ERROR', 'out_bill_no 只能由数字、大小写字母组成');
    if (typeof body.transfer_scene_id !== 'string' || body.transfer_scene_id === '') return invalid('PARAM_ERROR', 'transfer_scene_id 必填');
    if (typeof body.openid !== 'string' || body.openid === '') return invalid('PARAM_ERROR', 'openid 必填');
    const amount = body.transfer_amount;
    if (!Number.isInteger(amount) || (amount as number) < 1) return invalid('PARAM_ERROR', 'transfer_amount 须为正整数（分）');
    if ((amount as number) >= 200_000 && typeof body.user_name !== 'string') return invalid('PARAM_ERROR', '转账金额 >= 2000 元时 user_name 必填');
    if (typeof body.transfer_remark !== 'string' || body.transfer_remark === '' || [...body.transfer_remark].length > 32)
      return invalid('PARAM_ERROR', 'transfer_remark 必填，最多 32 个字符');
    const infos = body.transfer_scene_report_infos;
    if (
      !Array.isArray(infos) ||
      infos.length === 0 ||
      !infos.every((i: { info_type?: unknown; info_content?: unknown }) => typeof i.info_type === 'string' && typeof i.info_content === 'string')
    )
      return invalid('PARAM_ERROR', 'transfer_scene_report_infos 须按转账场景报备');
    const existing = this.transfers.get(outBillNo);
    if (existing)
      return existing.transfer_amount === amount && existing.openid === body.openid
        ? { status: 200, json: this.transferAnswer(existing) }
        : invalid('INVALID_REQUEST', '商户单号重复，且与之前请求参数不一致');
    const now = rfc3339(this.now());
    const transfer: FakeTransfer = {
      out_bill_no: outBillNo,
      transfer_bill_no: `1330000${String(randomInt(10 ** 9)).padStart(9, '0')}${beijing(this.now()).toFormat('yyyyMMdd')}${String(randomInt(10 ** 6)).padStart(6, '0')}`,
      appid: body.appid,
      openid: body.openid,
      transfer_scene_id: body.transfer_scene_id,
      transfer_amount: amount as number,
      transfer_remark: body.transfer_remark,
      transfer_scene_report_infos: infos as FakeTransfer['transfer_scene_report_infos'],
      state: 'WAIT_USER_CONFIRM',
      create_time: now,
      update_time: now,
    };
    this.transfers.set(outBillNo, transfer);
    return { status: 200, json: this.transferAnswer(transfer) };
  }

  /** 发起转账's answer: the bill's state, and package_info while the payer has to confirm (what the app hands to WeChat's confirm page). */
  private transferAnswer(t: FakeTransfer): object {
    return {
      out_bill_no: t.out_bill_no,
      transfer_bill_no: t.transfer_bill_no,
      create_time: t.create_time,
      state: t.state,
      ...(t.state === 'WAIT_USER_CONFIRM' ? { package_info: `ABBQO+oYAAABAAAAAAAk+yPr${t.transfer_bill_no}` } : {}),
    };
  }

  private transferJson(t: FakeTransfer): object {
    return {
      mch_id: this.options.mchid,
      out_bill_no: t.out_bill_no,
      transfer_bill_no: t.transfer_bill_no,
      appid: t.appid,
      state: t.state,
      transfer_amount: t.transfer_amount,
      transfer_remark: t.transfer_remark,
      ...(t.fail_reason ? { fail_reason: t.fail_reason } : {}),
      openid: t.openid,
      create_time: t.create_time,
      update_time: t.update_time,
    };
  }

  /** bill_date must be a day before today (Beijing); a day with no trade has no bill (NO_STATEMENT_EXIST), as WeChat Pay answers. */
  private tradeBill(url: URL): Answer {
    const day = url.searchParams.get('bill_date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return invalid('PARAM_ERROR', 'bill_date 格式为 YYYY-MM-DD');
    if (!['ALL', 'SUCCESS', 'REFUND', null].includes(url.searchParams.get('bill_type'))) return invalid('PARAM_ERROR', 'bill_type 不正确');
    if (day >= beijing(this.now()).toISODate()!) return invalid('INVALID_REQUEST', '账单日期须早于今天，次日 10 点后生成');
    const file = this.billFile(day);
    if (!file) return invalid('NO_STATEMENT_EXIST', '账单文件不存在');
    const token = randomBytes(16).toString('hex');
    this.bills.set(token, file);
    return {
      status: 200,
      json: {
        hash_type: 'SHA1',
        hash_value: createHash('sha1').update(file).digest('hex'),
        download_url: `${this.baseUrl}/v3/billdownload/file?token=${token}`,
      },
    };
  }

  /** The ALL trade bill of a day: payments by their success time, refunds by their acceptance time, amounts in yuan. */
  private billFile(day: string): Buffer | undefined {
    const onDay = (time: string | undefined) => time !== undefined && DateTime.fromISO(time, { setZone: true }).setZone('Asia/Shanghai').toISODate() === day;
    const yuan = (fen: number) => fromFen(fen).toFixed(2);
    const time = (t: string) => DateTime.fromISO(t, { setZone: true }).setZone('Asia/Shanghai').toFormat('yyyy-MM-dd HH:mm:ss');
    const rows: Record<string, string>[] = [];
    const paidOrders = [...this.orders.values()].filter((o) => onDay(o.success_time));
    const refunds = [...this.refunds.values()].filter((r) => onDay(r.create_time));
    /** What a payment's row and its refunds' rows share: the order's. */
    const orderColumns = (o: FakeOrder) => ({
      公众账号ID: o.appid,
      商户号: o.mchid,
      微信订单号: o.transaction_id!,
      商户订单号: o.out_trade_no,
      用户标识: o.payer?.openid ?? '',
      交易类型: o.trade_type,
      付款银行: 'OTHERS',
      货币种类: 'CNY',
      商品名称: o.description,
      订单金额: yuan(o.amount.total),
    });
    for (const o of paidOrders) rows.push({ ...orderColumns(o), 交易时间: time(o.success_time!), 交易状态: 'SUCCESS', 应结订单金额: yuan(o.amount.total) });
    for (const r of refunds) {
      rows.push({
        ...orderColumns(this.orders.get(r.out_trade_no)!),
        交易时间: time(r.create_time),
        交易状态: 'REFUND',
        微信退款单号: r.refund_id,
        商户退款单号: r.out_refund_no,
        退款金额: yuan(r.amount.refund),
        退款类型: 'ORIGINAL',
        退款状态: r.status,
        申请退款金额: yuan(r.amount.refund),
      });
    }
    if (rows.length === 0) return undefined;
    const detail = rows.map((row) => BILL_COLUMNS.map((c) => `\`${row[c] ?? (/金额|手续费/.test(c) ? '0.00' : '')}`).join(','));
    const paidFen = paidOrders.reduce((s, o) => s + o.amount.total, 0);
    const refundFen = refunds.reduce((s, r) => s + r.amount.refund, 0);
    const summary = [rows.length, yuan(paidFen), yuan(refundFen), '0.00', '0.00', yuan(paidFen), yuan(refundFen)];
    return Buffer.from(
      [
        BILL_COLUMNS.join(','),
        ...detail,
        '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
        summary.map((v) => `\`${v}`).join(','),
        '',
      ].join('\r\n'),
    );
  }

  private transactionJson(order: FakeOrder): object {
    const paid = order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND';
    return {
      appid: order.appid,
      mchid: order.mchid,
      out_trade_no: order.out_trade_no,
      ...(order.transaction_id ? { transaction_id: order.transaction_id } : {}),
      trade_type: order.trade_type,
      trade_state: order.trade_state,
      trade_state_desc: TRADE_STATE_DESC[order.trade_state],
      ...(paid ? { bank_type: 'OTHERS', success_time: order.success_time, payer: order.payer } : {}),
      attach: '',
      amount: { total: order.amount.total, ...(paid ? { payer_total: order.amount.total } : {}), currency: 'CNY', payer_currency: 'CNY' },
    };
  }
}

interface Answer {
  status: number;
  json?: unknown;
  file?: Buffer;
}

/** The columns of the ALL trade bill, in WeChat Pay's order. */
const BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
];

const TRADE_STATE_DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '已关闭',
  PAYERROR: '支付失败',
  USERPAYING: '用户支付中',
  REVOKED: '已撤销',
};

function invalid(code: string, message: string): Answer {
  return { status: 400, json: { code, message } };
}

function json(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function refundJson(refund: FakeRefund): object {
  return {
    refund_id: refund.refund_id,
    out_refund_no: refund.out_refund_no,
    transaction_id: refund.transaction_id,
    out_trade_no: refund.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(refund.success_time ? { success_time: refund.success_time } : {}),
    create_time: refund.create_time,
    status: refund.status,
    funds_account: 'AVAILABLE',
    amount: {
      total: refund.amount.total,
      refund: refund.amount.refund,
      payer_total: refund.amount.total,
      payer_refund: refund.amount.refund,
      settlement_refund: refund.amount.refund,
      settlement_total: refund.amount.total,
      discount_refund: 0,
      currency: 'CNY',
    },
  };
}
