import { createSign, createVerify, generateKeyPairSync, randomInt, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { DateTime } from 'luxon';
import type { PaymentGateway } from '../../src/payments';
import { Decimal } from '../../src/platform/money';
import { startTestApp, type TestApp } from './app';
import { aConsumer, aFactory, anOperator, type Caller } from './builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from './campaigns';
import { TestClock } from './clock';

/**
 * A local Alipay open API (gateway.do), written from Alipay's published documentation, to test the
 * adapter against: it checks every request's RSA2 signature with the application's public key, keeps
 * trades and refunds in memory, answers signed with its own "Alipay" key pair (generated here), sends
 * signed form notifications to the trade's notify_url, and serves the trade bill as Alipay does (a zip
 * of GBK CSV files). It never uses alipay-sdk: the adapter does, so the two sides are written apart.
 */

/** Values from Alipay's published examples (notification, trade query and precreate documentation). */
export const ALIPAY_EXAMPLES = {
  appId: '2014072300007148',
  sellerId: '2088101106499364',
  sellerEmail: 'zhuzhanghu@alitest.com',
  buyerId: '2088102122524333',
  buyerLogonId: '159****5620',
  tradeNo: '2013112011001004330000121536',
  notifyId: 'ac05099524730693a8b330c5ecf72da9786',
  qrCode: 'https://qr.alipay.com/bavh4wjlxf12tper3a',
};

const ZONE = 'Asia/Shanghai';
const chinaTime = (at: Date) => DateTime.fromJSDate(at, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm:ss');

/**
 * The string Alipay's RSA2 signs: every parameter with a value, except those left out (`sign` for a
 * request; `sign` and `sign_type` for a notification), sorted by key in ASCII order, as key=value joined
 * by &, the values as they are (not URL-encoded).
 */
export function signingString(params: Record<string, string>, leaveOut: readonly string[]): string {
  return Object.keys(params)
    .filter((key) => !leaveOut.includes(key) && params[key] !== '')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

/** SHA256withRSA (PKCS#1 v1.5) over the UTF-8 text, base64. */
export function rsa2Sign(content: string, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(content: string, signature: string, publicKey: KeyObject | string): boolean {
  return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
}

export interface FakeTrade {
  outTradeNo: string;
  tradeNo: string;
  totalAmount: string;
  subject: string;
  status: 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';
  notifyUrl: string | undefined;
  createdAt: Date;
  paidAt: Date | undefined;
  /** The buyer's Alipay user id, once paid. */
  buyerId: string | undefined;
  refunds: Map<string, { amount: string; at: Date }>;
}

/** A 单笔转账 to an Alipay account (alipay.fund.trans.uni.transfer), by our out_biz_no. */
export interface FakeTransfer {
  outBizNo: string;
  orderId: string;
  payFundOrderId: string;
  amount: string;
  payee: { identity: string; identity_type: string };
  orderTitle: string;
  status: 'SUCCESS' | 'FAIL';
  at: Date;
}

/** A reply Alipay gives instead of the real one: code 40004 and a sub_code, say. */
export type FakeReply = {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
};

type Fault = { kind: 'reply'; reply: FakeReply } | { kind: 'hang'; applied: boolean } | { kind: 'bad_signature' };

export class FakeAlipay {
  /** Every call, as received (query and form fields together), first first. */
  readonly calls: { method: string; params: Record<string, string> }[] = [];
  readonly trades = new Map<string, FakeTrade>();
  readonly transfers = new Map<string, FakeTransfer>();
  /** Every notification it sent (or lost), with the answer it got. */
  readonly notifications: { body: string; answer: { status: number; body: string } | 'lost' }[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private notificationsToLose = 0;
  private readonly bills = new Map<string, Buffer>();
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly appId: string,
    private readonly appPublicKey: KeyObject,
    private readonly alipayKeys: { privateKey: KeyObject; publicKey: KeyObject },
  ) {}

  /** Starts on 127.0.0.1, a free port; requests must come signed by the private key of `appPublicKey`. */
  static async start(options: { appId: string; appPublicKey: KeyObject }): Promise<FakeAlipay> {
    const server = http.createServer();
    const fake = new FakeAlipay(server, options.appId, options.appPublicKey, generateKeyPairSync('rsa', { modulusLength: 2048 }));
    server.on('request', (req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get gatewayUrl(): string {
    return `${this.baseUrl}/gateway.do`;
  }

  /** Alipay's public key (支付宝公钥) as the open platform shows it: bare base64 of the SPKI DER. */
  get alipayPublicKey(): string {
    return this.alipayKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  }

  /** The next call of `method` is answered with `reply` (signed), e.g. `{ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR' }`. */
  failNext(method: string, reply: FakeReply): void {
    this.queue(method, { kind: 'reply', reply });
  }

  /**
   * The next call of `method` is never answered (the connection stays open until stop). With `applied`,
   * Alipay did what was asked before its answer was lost (a refund made, say).
   */
  hangNext(method: string, options: { applied: boolean } = { applied: false }): void {
    this.queue(method, { kind: 'hang', applied: options.applied });
  }

  /** The next call of `method` is answered with a signature that does not match: a forged or damaged reply. */
  forgeNextReply(method: string): void {
    this.queue(method, { kind: 'bad_signature' });
  }

  loseNextNotifications(count: number): void {
    this.notificationsToLose += count;
  }

  /** The buyer pays the trade: it succeeds, and Alipay notifies (unless the notification is lost). */
  async pay(outTradeNo: string, at = new Date(), buyerId = ALIPAY_EXAMPLES.buyerId): Promise<{ status: number; body: string } | 'lost'> {
    const trade = this.trade(outTradeNo);
    if (trade.status !== 'WAIT_BUYER_PAY') throw new Error(`fake Alipay: trade ${outTradeNo} is ${trade.status}, not payable`);
    Object.assign(trade, { status: 'TRADE_SUCCESS', paidAt: at, buyerId });
    return this.notify(trade, at);
  }

  /** The trade times out unpaid (or is closed): TRADE_CLOSED, notified. */
  async closeUnpaid(outTradeNo: string, at = new Date()): Promise<{ status: number; body: string } | 'lost'> {
    const trade = this.trade(outTradeNo);
    trade.status = 'TRADE_CLOSED';
    return this.notify(trade, at);
  }

  /** The form Alipay would POST about `trade` now, signed; `overrides` change fields before signing (null drops one). */
  notificationBody(trade: FakeTrade, at = new Date(), overrides: Record<string, string | null> = {}): string {
    const fields: Record<string, string> = {
      gmt_create: chinaTime(trade.createdAt),
      charset: 'utf-8',
      seller_email: ALIPAY_EXAMPLES.sellerEmail,
      subject: trade.subject,
      buyer_id: trade.buyerId ?? ALIPAY_EXAMPLES.buyerId,
      invoice_amount: trade.totalAmount,
      notify_id: `${DateTime.fromJSDate(at, { zone: ZONE }).toFormat('yyyyMMdd')}00222${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e9)).padStart(9, '0')}`,
      fund_bill_list: JSON.stringify([{ amount: trade.totalAmount, fundChannel: 'ALIPAYACCOUNT' }]),
      notify_type: 'trade_status_sync',
      trade_status: trade.status,
      receipt_amount: trade.totalAmount,
      app_id: this.appId,
      buyer_pay_amount: trade.totalAmount,
      sign_type: 'RSA2',
      seller_id: ALIPAY_EXAMPLES.sellerId,
      notify_time: chinaTime(at),
      version: '1.0',
      out_trade_no: trade.outTradeNo,
      total_amount: trade.totalAmount,
      trade_no: trade.tradeNo,
      auth_app_id: this.appId,
      buyer_logon_id: ALIPAY_EXAMPLES.buyerLogonId,
      point_amount: '0.00',
      ...(trade.paidAt ? { gmt_payment: chinaTime(trade.paidAt) } : {}),
    };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === null) delete fields[key];
      else fields[key] = value;
    }
    fields.sign = rsa2Sign(signingString(fields, ['sign', 'sign_type']), this.alipayKeys.privateKey);
    return new URLSearchParams(fields).toString();
  }

  /** POSTs a notification form to `url` as Alipay does, and answers what came back. */
  async deliver(url: string, body: string): Promise<{ status: number; body: string }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
    return { status: response.status, body: await response.text() };
  }

  trade(outTradeNo: string): FakeTrade {
    const trade = this.trades.get(outTradeNo);
    if (!trade) throw new Error(`fake Alipay: no trade ${outTradeNo}`);
    return trade;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private queue(method: string, fault: Fault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  private async notify(trade: FakeTrade, at: Date, extra: Record<string, string> = {}): Promise<{ status: number; body: string } | 'lost'> {
    const body = this.notificationBody(trade, at, extra);
    if (!trade.notifyUrl) throw new Error(`fake Alipay: trade ${trade.outTradeNo} has no notify_url`);
    if (this.notificationsToLose > 0) {
      this.notificationsToLose -= 1;
      this.notifications.push({ body, answer: 'lost' });
      return 'lost';
    }
    const answer = await this.deliver(trade.notifyUrl, body);
    this.notifications.push({ body, answer });
    return answer;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (req.method === 'GET' && url.pathname.startsWith('/bill/')) {
      const zip = this.bills.get(url.pathname.slice('/bill/'.length));
      res.writeHead(zip ? 200 : 404, { 'content-type': 'application/zip' }).end(zip ?? '');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/cashier/pay') {
      await this.payAtCashier(url, res);
      return;
    }
    if (url.pathname !== '/gateway.do') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // The common parameters come in the query, biz_content in the form body (or everything in the query, for a page).
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params[key] = value;
    const method = params.method ?? '';
    this.calls.push({ method, params });
    const problem = this.checkCommon(params);
    if (req.method === 'GET') {
      // A page (alipay.trade.wap.pay): Alipay's cashier in the buyer's browser, or its error page.
      const page = problem ? problem.sub_msg : this.openCashier(params);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>支付宝</title>${page}`);
      return;
    }
    const fault = this.faults.get(method)?.shift();
    if (fault?.kind === 'hang') {
      if (fault.applied && !problem) this.answer(method, JSON.parse(params.biz_content ?? '{}') as Record<string, unknown>, params);
      this.hanging.add(res);
      return;
    }
    let reply: Record<string, unknown>;
    try {
      reply =
        problem ??
        (fault?.kind === 'reply' ? { ...fault.reply } : this.answer(method, JSON.parse(params.biz_content ?? '{}') as Record<string, unknown>, params));
    } catch {
      reply = { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-biz-content', sub_msg: 'biz_content 不是 JSON' };
    }
    const text = JSON.stringify(reply);
    const sign = rsa2Sign(text, this.alipayKeys.privateKey);
    const signature = fault?.kind === 'bad_signature' ? `${sign.slice(0, -4)}AAA=` : sign;
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' }).end(`{"${method.replaceAll('.', '_')}_response":${text},"sign":"${signature}"}`);
  }

  /** The gateway's checks of the common parameters, the signature first. */
  private checkCommon(params: Record<string, string>): FakeReply | undefined {
    const invalid = (sub_code: string, sub_msg: string): FakeReply => ({ code: '40002', msg: 'Invalid Arguments', sub_code, sub_msg });
    if (params.app_id !== this.appId) return invalid('isv.invalid-app-id', '无效的AppID参数');
    if (params.sign_type !== 'RSA2') return invalid('isv.invalid-signature-type', '无效的签名类型参数');
    if (params.charset !== 'utf-8') return invalid('isv.invalid-charset', '字符集错误');
    if (!params.sign || !rsa2Verify(signingString(params, ['sign']), params.sign, this.appPublicKey))
      return invalid(
        'isv.invalid-signature',
        `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${signingString(params, ['sign'])}`,
      );
    const at = DateTime.fromFormat(params.timestamp ?? '', 'yyyy-MM-dd HH:mm:ss', { zone: ZONE });
    if (!at.isValid || Math.abs(at.diffNow('minutes').minutes) > 15) return invalid('isv.invalid-timestamp', '非法的时间戳参数');
    if (params.version !== '1.0') return invalid('isv.invalid-version', '版本号错误');
    return undefined;
  }

  private openCashier(params: Record<string, string>): string {
    if (params.method !== 'alipay.trade.wap.pay') return `不支持的页面接口 ${params.method}`;
    const biz = JSON.parse(params.biz_content ?? '{}') as Record<string, string>;
    if (biz.product_code !== 'QUICK_WAP_WAY' || !biz.quit_url) return '缺少必选参数 product_code=QUICK_WAP_WAY 或 quit_url';
    const opened = this.openTrade(biz, params.notify_url);
    if ('code' in opened) return `<p>${escapeHtml(String(opened.sub_msg))}</p>`;
    // The buyer pays here (the test's browser taps the button): the trade is paid, notified, and the buyer sent back to return_url.
    const pay = new URLSearchParams({ out_trade_no: opened.outTradeNo, return_url: params.return_url ?? '' });
    return `<p>${escapeHtml(`支付宝收银台：${opened.subject} ¥${opened.totalAmount}`)}</p><form method="post" action="/cashier/pay?${escapeHtml(pay.toString())}"><button>确认付款</button></form>`;
  }

  /**
   * The cashier's pay button: the trade is paid (and notified) and the browser goes back to return_url with
   * the synchronous return's signed parameters (method alipay.trade.wap.pay.return), as Alipay's cashier does.
   */
  private async payAtCashier(url: URL, res: http.ServerResponse): Promise<void> {
    const trade = this.trades.get(url.searchParams.get('out_trade_no') ?? '');
    const returnUrl = url.searchParams.get('return_url');
    if (!trade || !returnUrl) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>支付宝</title><p>交易不存在</p>');
      return;
    }
    await this.pay(trade.outTradeNo);
    const fields: Record<string, string> = {
      charset: 'utf-8',
      out_trade_no: trade.outTradeNo,
      method: 'alipay.trade.wap.pay.return',
      total_amount: trade.totalAmount,
      trade_no: trade.tradeNo,
      auth_app_id: this.appId,
      version: '1.0',
      app_id: this.appId,
      sign_type: 'RSA2',
      seller_id: ALIPAY_EXAMPLES.sellerId,
      timestamp: chinaTime(new Date()),
    };
    fields.sign = rsa2Sign(signingString(fields, ['sign', 'sign_type']), this.alipayKeys.privateKey);
    const back = new URL(returnUrl);
    for (const [key, value] of Object.entries(fields)) back.searchParams.set(key, value);
    res.writeHead(302, { location: back.toString() }).end();
  }

  /** A trade for this order, made the first time it is asked for (precreate, or the wap cashier opened). */
  private openTrade(biz: Record<string, unknown>, notifyUrl: string | undefined): FakeTrade | FakeReply {
    const outTradeNo = String(biz.out_trade_no ?? '');
    const amount = String(biz.total_amount ?? '');
    if (!/^[0-9A-Za-z_]{1,64}$/.test(outTradeNo)) return failure('ACQ.INVALID_PARAMETER', '参数无效 out_trade_no');
    if (!/^\d{1,9}(\.\d{1,2})?$/.test(amount) || Number(amount) < 0.01) return failure('ACQ.INVALID_PARAMETER', `参数无效 total_amount ${amount}`);
    const existing = this.trades.get(outTradeNo);
    if (existing) {
      if (existing.status !== 'WAIT_BUYER_PAY') return failure('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
      if (existing.totalAmount !== amount) return failure('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      return existing;
    }
    const now = new Date();
    const trade: FakeTrade = {
      outTradeNo,
      tradeNo: `${DateTime.fromJSDate(now, { zone: ZONE }).toFormat('yyyyMMdd')}2200${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e7)).padStart(7, '0')}`,
      totalAmount: amount,
      subject: String(biz.subject ?? ''),
      status: 'WAIT_BUYER_PAY',
      notifyUrl,
      createdAt: now,
      paidAt: undefined,
      buyerId: undefined,
      refunds: new Map(),
    };
    this.trades.set(outTradeNo, trade);
    return trade;
  }

  private answer(method: string, biz: Record<string, unknown>, params: Record<string, string>): Record<string, unknown> {
    const ok = { code: '10000', msg: 'Success' };
    const trade = this.trades.get(String(biz.out_trade_no ?? ''));
    switch (method) {
      case 'alipay.trade.precreate': {
        const opened = this.openTrade(biz, params.notify_url);
        if ('code' in opened) return { ...opened };
        return { ...ok, out_trade_no: opened.outTradeNo, qr_code: `https://qr.alipay.com/bax0${opened.tradeNo.slice(-14)}` };
      }
      case 'alipay.trade.query':
        if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
        return {
          ...ok,
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          buyer_logon_id: ALIPAY_EXAMPLES.buyerLogonId,
          trade_status: trade.status,
          total_amount: trade.totalAmount,
          buyer_pay_amount: trade.paidAt ? trade.totalAmount : '0.00',
          ...(trade.paidAt ? { send_pay_date: chinaTime(trade.paidAt), buyer_user_id: trade.buyerId } : {}),
        };
      case 'alipay.trade.refund': {
        if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
        const requestNo = String(biz.out_request_no ?? trade.outTradeNo);
        const amount = String(biz.refund_amount ?? '');
        if (!/^\d{1,9}(\.\d{1,2})?$/.test(amount) || Number(amount) < 0.01) return failure('ACQ.INVALID_PARAMETER', `参数无效 refund_amount ${amount}`);
        const refunded = () => [...trade.refunds.values()].reduce((total, r) => total.plus(r.amount), new Decimal(0));
        const result = () => ({
          ...ok,
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          buyer_logon_id: ALIPAY_EXAMPLES.buyerLogonId,
          refund_fee: refunded().toFixed(2),
        });
        const earlier = trade.refunds.get(requestNo);
        // The same out_request_no again: nothing is paid twice, and no money moves this time.
        if (earlier) return earlier.amount === amount ? { ...result(), fund_change: 'N' } : failure('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
        if (trade.status !== 'TRADE_SUCCESS') return failure('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        if (refunded().plus(amount).gt(trade.totalAmount)) return failure('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
        const at = new Date();
        trade.refunds.set(requestNo, { amount, at });
        if (refunded().equals(trade.totalAmount)) trade.status = 'TRADE_CLOSED';
        // Alipay notifies the refund too: the trade as it now is, with the refund's request number and the total refunded.
        if (trade.notifyUrl)
          setImmediate(
            () =>
              void this.notify(trade, at, { out_biz_no: requestNo, refund_fee: refunded().toFixed(2), gmt_refund: `${chinaTime(at)}.000` }).catch(
                () => undefined,
              ),
          );
        return { ...result(), fund_change: 'Y', gmt_refund_pay: chinaTime(at) };
      }
      case 'alipay.trade.fastpay.refund.query': {
        if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
        const requestNo = String(biz.out_request_no ?? '');
        const refund = trade.refunds.get(requestNo);
        // No such refund: a success with no refund data (Alipay's rule: then it is not refunded).
        if (!refund) return { ...ok, trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
        return {
          ...ok,
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          out_request_no: requestNo,
          total_amount: trade.totalAmount,
          refund_amount: refund.amount,
          refund_status: 'REFUND_SUCCESS',
          gmt_refund_pay: chinaTime(refund.at),
        };
      }
      case 'alipay.fund.trans.uni.transfer':
        return this.transfer(biz);
      case 'alipay.fund.trans.common.query': {
        const transfer = this.transfers.get(String(biz.out_biz_no ?? ''));
        if (!transfer) return failure('ORDER_NOT_EXIST', '转账订单不存在');
        return { ...ok, ...transferReply(transfer), trans_amount: transfer.amount, pay_date: chinaTime(transfer.at) };
      }
      case 'alipay.data.dataservice.bill.downloadurl.query': {
        const day = String(biz.bill_date ?? '');
        if (biz.bill_type !== 'trade' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return failure('isv.invalid-parameter', '参数无效');
        const zip = this.bill(day);
        if (!zip) return failure('isp.bill_not_exist', '账单不存在');
        const token = `${day}-${randomInt(1e9)}`;
        this.bills.set(token, zip);
        return { ...ok, bill_download_url: `${this.baseUrl}/bill/${token}` };
      }
      default:
        return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-method', sub_msg: '不存在的方法名' };
    }
  }

  /**
   * 单笔转账 (product TRANS_ACCOUNT_NO_PWD, scene DIRECT_TRANSFER): paid at once from the merchant's balance to
   * the payee; one transfer per out_biz_no, asked again answered with the same one.
   */
  private transfer(biz: Record<string, unknown>): Record<string, unknown> {
    const outBizNo = String(biz.out_biz_no ?? '');
    const amount = String(biz.trans_amount ?? '');
    const payee = (biz.payee_info ?? {}) as { identity?: unknown; identity_type?: unknown };
    if (!/^[0-9A-Za-z_]{1,64}$/.test(outBizNo)) return failure('INVALID_PARAMETER', '参数有误 out_biz_no');
    if (biz.product_code !== 'TRANS_ACCOUNT_NO_PWD' || biz.biz_scene !== 'DIRECT_TRANSFER')
      return failure('INVALID_PARAMETER', '参数有误 product_code 或 biz_scene');
    if (!/^\d{1,9}(\.\d{1,2})?$/.test(amount) || Number(amount) < 0.1) return failure('INVALID_PARAMETER', `参数有误 trans_amount ${amount}`);
    if (typeof biz.order_title !== 'string' || biz.order_title === '') return failure('INVALID_PARAMETER', '参数有误 order_title');
    const valid =
      (payee.identity_type === 'ALIPAY_USER_ID' && /^2088\d{12}$/.test(String(payee.identity))) ||
      (payee.identity_type === 'ALIPAY_OPEN_ID' && typeof payee.identity === 'string' && payee.identity !== '');
    if (!valid) return failure('PAYEE_NOT_EXIST', '收款账号不存在或姓名有误');
    const earlier = this.transfers.get(outBizNo);
    if (earlier)
      return earlier.amount === amount && earlier.payee.identity === payee.identity
        ? { code: '10000', msg: 'Success', ...transferReply(earlier) }
        : failure('EXCEED_LIMIT_DC_RECEIVED', '商户订单号重复，且与原请求参数不一致');
    const at = new Date();
    const day = DateTime.fromJSDate(at, { zone: ZONE }).toFormat('yyyyMMdd');
    const transfer: FakeTransfer = {
      outBizNo,
      orderId: `${day}110070000006${String(randomInt(1e9)).padStart(9, '0')}`,
      payFundOrderId: `${day}110070001506${String(randomInt(1e9)).padStart(9, '0')}`,
      amount,
      payee: { identity: String(payee.identity), identity_type: String(payee.identity_type) },
      orderTitle: biz.order_title,
      status: 'SUCCESS',
      at,
    };
    this.transfers.set(outBizNo, transfer);
    return { code: '10000', msg: 'Success', ...transferReply(transfer) };
  }

  /** The trade bill of one China day: `<pid>_<yyyyMMdd>_业务明细.csv` and its summary, GBK, zipped; undefined when nothing happened. */
  private bill(day: string): Buffer | undefined {
    const onDay = (at: Date | undefined) => at !== undefined && DateTime.fromJSDate(at, { zone: ZONE }).toISODate() === day;
    const row = (trade: FakeTrade, type: '交易' | '退款', at: Date, amount: string, requestNo: string) =>
      // 支付宝交易号, 商户订单号, 业务类型, 商品名称, 创建时间, 完成时间, 门店编号, 门店名称, 操作员, 终端号, 对方账户, 订单金额, 商家实收,
      // 支付宝红包, 集分宝, 支付宝优惠, 商家优惠, 券核销金额, 券名称, 商家红包消费金额, 卡消费金额, 退款批次号/请求号, 服务费, 分润, 备注; each padded with a tab.
      [
        trade.tradeNo,
        trade.outTradeNo,
        type,
        trade.subject,
        chinaTime(trade.createdAt),
        chinaTime(at),
        '',
        '',
        '',
        '',
        ALIPAY_EXAMPLES.buyerLogonId,
        amount,
        amount,
      ]
        .concat(['0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', requestNo, '0.00', '0.00', ''])
        .map((field) => (/[",]/.test(field) ? `"${field.replaceAll('"', '""')}\t"` : `${field}\t`))
        .join(',');
    const rows: string[] = [];
    for (const trade of this.trades.values()) {
      if (onDay(trade.paidAt)) rows.push(row(trade, '交易', trade.paidAt!, trade.totalAmount, ''));
      for (const [requestNo, refund] of trade.refunds) if (onDay(refund.at)) rows.push(row(trade, '退款', refund.at, `-${refund.amount}`, requestNo));
    }
    if (rows.length === 0) return undefined;
    const compact = day.replaceAll('-', '');
    const date = DateTime.fromISO(day, { zone: ZONE });
    const detail = [
      '#支付宝业务明细查询',
      `#账号：[${ALIPAY_EXAMPLES.sellerId}0156]`,
      `#起始日期：[${date.toFormat('yyyy年MM月dd日')} 00:00:00]   终止日期：[${date.plus({ days: 1 }).toFormat('yyyy年MM月dd日')} 00:00:00]`,
      '#-----------------------------------------业务明细列表----------------------------------------',
      '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
      ...rows,
      '#-----------------------------------------业务明细列表结束------------------------------------',
      `#导出时间：[${DateTime.now().setZone(ZONE).toFormat('yyyy年MM月dd日 HH:mm:ss')}]`,
    ].join('\r\n');
    const summary = ['#支付宝业务汇总查询', '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）', `合计,,${rows.length},0,,`].join(
      '\r\n',
    );
    const prefix = `${ALIPAY_EXAMPLES.sellerId}0156_${compact}`;
    return Buffer.from(zipSync({ [`${prefix}_业务明细.csv`]: iconv.encode(detail, 'gbk'), [`${prefix}_业务明细(汇总).csv`]: iconv.encode(summary, 'gbk') }));
  }
}

/** What uni.transfer and common.query both answer of a transfer. */
function transferReply(transfer: FakeTransfer): Record<string, string> {
  return {
    out_biz_no: transfer.outBizNo,
    order_id: transfer.orderId,
    pay_fund_order_id: transfer.payFundOrderId,
    status: transfer.status,
    trans_date: chinaTime(transfer.at),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function failure(subCode: string, subMsg: string): FakeReply {
  return { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg };
}

/** What an Alipay test file works with: the real app on a test clock, configured for the fake, and an operator and a factory. */
export interface AlipayBed {
  t: TestApp;
  fake: FakeAlipay;
  clock: TestClock;
  /** The app's notification URL, on its own listener: the fake POSTs there over the network, as Alipay does. */
  notifyUrl: string;
  alipay: PaymentGateway;
  operator: Caller;
  factoryId: string;
}

/**
 * Starts a fake Alipay and the app configured for it (ALIPAY_ variables: a PKCS#1 PEM application key as
 * openssl writes it, Alipay's public key as bare base64 as the open platform shows it) before the file's
 * tests, and stops both after; the ledger must reconcile after every test. The fields are there once the tests run.
 */
export function alipayBed(options: { timeoutMs: number }): AlipayBed {
  const bed = { clock: new TestClock() } as AlipayBed;
  let listener: http.Server;
  beforeAll(async () => {
    const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    bed.fake = await FakeAlipay.start({ appId: ALIPAY_EXAMPLES.appId, appPublicKey: appKeys.publicKey });
    listener = http.createServer((req, res) => bed.t.app.http(req, res));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    bed.notifyUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/v1/payments/notifications/alipay`;
    bed.t = await startTestApp({
      clock: bed.clock,
      env: {
        ALIPAY_APP_ID: ALIPAY_EXAMPLES.appId,
        ALIPAY_PRIVATE_KEY: appKeys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        ALIPAY_PUBLIC_KEY: bed.fake.alipayPublicKey,
        ALIPAY_NOTIFY_URL: bed.notifyUrl,
        ALIPAY_GATEWAY_URL: bed.fake.gatewayUrl,
        ALIPAY_TIMEOUT_MS: String(options.timeoutMs),
      },
    });
    bed.alipay = bed.t.app.services.payments.gateway('alipay');
    bed.operator = await anOperator(bed.t);
    bed.factoryId = (await aFactory(bed.t, bed.operator)).id;
  });
  afterEach(() => expectLedgerReconciles(bed.t));
  afterAll(async () => {
    await bed.fake.stop();
    await new Promise((resolve) => listener.close(resolve));
    await bed.t.close();
  });
  return bed;
}

/** A new consumer's pledge on a new campaign, its deposit sent to Alipay's checkout (the H5 page opened, as a phone would); `no` is the trade's number at Alipay. */
export async function depositAtAlipay(bed: AlipayBed, channel: 'qr' | 'h5' = 'qr') {
  const { t } = bed;
  const c = await anOpenCampaign(t, bed.operator, bed.factoryId, bed.clock);
  const consumer = await aConsumer(t);
  const placed = (await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)).body;
  const paymentId: string = placed.depositPayment.id;
  const checkout = (await t.http.post(`/v1/payments/${paymentId}/checkout`).set(consumer.auth).send({ provider: 'alipay', channel }).expect(200)).body;
  if (channel === 'h5') await fetch(checkout.checkout.redirectUrl);
  return { consumer, paymentId, pledgeId: placed.id as string, checkout, no: paymentId.replaceAll('-', '') };
}
