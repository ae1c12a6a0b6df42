import type { AlipaySdk, AlipaySdkCommonResult } from 'alipay-sdk';
import { unzipSync } from 'fflate';
import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE } from '../../platform/calendar';
import { AppError, badRequest, unprocessable } from '../../platform/http/app-error';
import { type Decimal, formatMoney, parseMoney } from '../../platform/money';
import {
  outRefundNo,
  outTradeNo,
  paymentIdOf,
  refundIdOf,
  type Checkout,
  type CheckoutChannel,
  type CheckoutRequest,
  type GatewayEvent,
  type NotificationAnswer,
  type NotificationResult,
  type PaymentGateway,
  type PaymentQueryResult,
  type RefundRequest,
  type RefundResult,
  type StatementLine,
} from '../gateway';
import type { AlipayConfig } from './alipay.config';

/**
 * Alipay had no good answer: a business refusal (`code` 40004 with its `subCode`, e.g.
 * ACQ.TRADE_NOT_EXIST), a system error, or no answer in time (`timedOut`). The caller retries (every call is
 * idempotent per payment or refund id); a client that asked for a checkout gets a 502 (504 for a timeout).
 */
export class AlipayError extends AppError {
  override name = 'AlipayError';
  constructor(
    readonly method: string,
    message: string,
    readonly details: { code?: string; subCode?: string; timedOut?: boolean } = {},
  ) {
    super(details.timedOut ? 504 : 502, details.timedOut ? 'payment_provider_timeout' : 'payment_provider_error', `Alipay ${method}: ${message}`);
  }
}

/** A reply of the open API, its snake_case fields as Alipay writes them. */
type Reply = AlipaySdkCommonResult & Record<string, unknown>;

/** A notification may come this long after the event: Alipay retries for about 25 hours (4m, 10m, 10m, 1h, 2h, 6h, 15h). */
const NOTIFICATION_LIFETIME_HOURS = 48;

/** 支付宝 through the open API (gateway.do, RSA2) with the official alipay-sdk: docs/payments.md § Alipay says what comes from it. */
export class AlipayGateway implements PaymentGateway {
  readonly name = 'alipay';
  readonly channels: readonly CheckoutChannel[] = ['h5', 'qr'];
  readonly paidByTransfer = ['deposit_compensation'];
  private readonly sdk: AlipaySdk;

  constructor(private readonly config: AlipayConfig) {
    // Loaded when Alipay is configured, not on import: its HTTP client (urllib) subscribes to Node's process-wide
    // diagnostics channels once loaded, which also kept every jest test file that imported the app alive (a leak
    // of a whole module graph per file on a suite run).
    const { AlipaySdk } = require('alipay-sdk') as typeof import('alipay-sdk');
    this.sdk = new AlipaySdk({
      appId: config.appId,
      privateKey: config.privateKey,
      keyType: 'PKCS8',
      alipayPublicKey: config.alipayPublicKey,
      gateway: config.gatewayUrl,
      timeout: config.timeoutMs,
      // Replies keep Alipay's own field names (trade_status, not tradeStatus), as its documentation writes them.
      camelcase: false,
    });
  }

  async createPayment(request: CheckoutRequest): Promise<Checkout> {
    if (request.currency !== 'CNY') throw unprocessable('currency_not_supported', `Alipay takes CNY only, not ${request.currency}.`);
    const order = {
      out_trade_no: outTradeNo(request.paymentId),
      total_amount: yuan(request.amount),
      // Alipay refuses / = & in a subject; a comma would split the subject's column in the day's bill.
      subject: request.description.replace(/[/=&,]/g, ' ').slice(0, 256),
      // The payment's own deadline: Alipay closes the trade then, so no money arrives after it.
      time_expire: chinaTime(request.expiresAt),
    };
    if (request.channel === 'h5') {
      if (!request.returnUrl) throw badRequest('validation_failed', 'An Alipay phone checkout needs returnUrl: the page Alipay sends the buyer back to.');
      // A page, not an API call: the buyer's browser opens this signed URL and Alipay's cashier takes over.
      const redirectUrl = this.sdk.pageExec('alipay.trade.wap.pay', 'GET', {
        bizContent: { ...order, product_code: 'QUICK_WAP_WAY', quit_url: request.returnUrl },
        returnUrl: request.returnUrl,
        notifyUrl: this.config.notifyUrl,
        timestamp: chinaTime(new Date()),
      });
      return { channel: 'h5', redirectUrl };
    }
    if (request.channel === 'qr') {
      const reply = await this.call('alipay.trade.precreate', order, { notify_url: this.config.notifyUrl });
      if (reply.code !== '10000' || typeof reply.qr_code !== 'string') throw refusal('alipay.trade.precreate', reply);
      return { channel: 'qr', qrCode: reply.qr_code };
    }
    throw unprocessable('checkout_not_offered', `Alipay has no ${request.channel} checkout (only ${this.channels.join(', ')}).`);
  }

  async queryPayment(paymentId: string): Promise<PaymentQueryResult> {
    const reply = await this.call('alipay.trade.query', { out_trade_no: outTradeNo(paymentId) });
    // A wap.pay trade exists at Alipay only once the buyer has opened its page.
    if (reply.code === '40004' && reply.sub_code === 'ACQ.TRADE_NOT_EXIST') return { state: 'not_found' };
    if (reply.code !== '10000') throw refusal('alipay.trade.query', reply);
    const status = text(reply, 'trade_status');
    if (status === 'WAIT_BUYER_PAY') return { state: 'pending' };
    if (status === 'TRADE_CLOSED') return { state: 'closed' };
    if (status !== 'TRADE_SUCCESS' && status !== 'TRADE_FINISHED') throw new AlipayError('alipay.trade.query', `unknown trade_status ${status}`);
    const transactionId = text(reply, 'trade_no');
    const payer = optional(reply.buyer_user_id) ?? optional(reply.buyer_open_id);
    return {
      state: 'paid',
      event: {
        id: `query:${transactionId}`,
        type: 'payment.succeeded',
        paymentId,
        amount: amountOf(reply, 'total_amount'),
        currency: 'CNY',
        transactionId,
        payer,
      },
    };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (request.currency !== 'CNY') return { outcome: 'rejected', reason: `Alipay refunds CNY only, not ${request.currency}` };
    if (request.reason === 'deposit_compensation') return this.transfer(request);
    const reply = await this.call('alipay.trade.refund', {
      out_trade_no: outTradeNo(request.paymentId),
      refund_amount: yuan(request.amount),
      // Idempotency: the same out_request_no asked again refunds nothing twice.
      out_request_no: outRefundNo(request.refundId),
      refund_reason: request.reason,
    });
    if (reply.code === '40004' && reply.sub_code !== 'ACQ.SYSTEM_ERROR')
      return { outcome: 'rejected', reason: `${reply.sub_code}: ${reply.sub_msg ?? reply.msg}` };
    if (reply.code !== '10000') throw refusal('alipay.trade.refund', reply);
    if (reply.fund_change === 'Y') return { outcome: 'succeeded' };
    // "N": no money moved by this call, also when an earlier call with this out_request_no already refunded it.
    const found = await this.queryRefund(request);
    return found.outcome === 'not_found' ? { outcome: 'processing' } : found;
  }

  async queryRefund(refund: { refundId: string; paymentId: string }): Promise<RefundResult | { outcome: 'not_found' }> {
    const reply = await this.call('alipay.trade.fastpay.refund.query', {
      out_trade_no: outTradeNo(refund.paymentId),
      out_request_no: outRefundNo(refund.refundId),
    });
    if (reply.code === '40004' && reply.sub_code === 'ACQ.TRADE_NOT_EXIST') return { outcome: 'not_found' };
    if (reply.code !== '10000') throw refusal('alipay.trade.fastpay.refund.query', reply);
    // Alipay's rule: refunded only if the query returns the refund and its refund_status is empty or REFUND_SUCCESS.
    // None under this number: it may be a compensation, paid by transfer under the same number.
    if (reply.out_request_no === undefined || reply.refund_amount === undefined) return this.queryTransfer(refund.refundId);
    const status = reply.refund_status;
    return status === undefined || status === '' || status === 'REFUND_SUCCESS' ? { outcome: 'succeeded' } : { outcome: 'processing' };
  }

  /**
   * A compensation (定金双倍返还) is money beyond the payment, which no refund can carry: it is paid to the
   * buyer by 单笔转账 (alipay.fund.trans.uni.transfer, to their Alipay user id or OpenID), its out_biz_no our
   * refund's number, so asking again is the same transfer. Without a buyer known, asking again cannot help.
   */
  private async transfer(request: RefundRequest): Promise<RefundResult> {
    if (!request.payer)
      return {
        outcome: 'rejected',
        final: true,
        reason: "Alipay: the buyer's user id is not known for this payment, so the compensation cannot be transferred; pay it by hand",
      };
    const reply = await this.call('alipay.fund.trans.uni.transfer', {
      out_biz_no: outRefundNo(request.refundId),
      trans_amount: yuan(request.amount),
      product_code: TRANSFER_PRODUCT,
      biz_scene: TRANSFER_SCENE,
      order_title: '预售活动取消，定金双倍返还',
      // A user id is 2088 and 12 digits; an application on OpenID sees its buyers by OpenID instead.
      payee_info: { identity: request.payer, identity_type: /^2088\d{12}$/.test(request.payer) ? 'ALIPAY_USER_ID' : 'ALIPAY_OPEN_ID' },
      remark: '定金双倍返还',
    });
    // A refusal of this transfer (not enough balance, a payee Alipay cannot pay, …) is its answer; Alipay busy is not.
    if (reply.code === '40004' && reply.sub_code !== 'SYSTEM_ERROR') return { outcome: 'rejected', reason: `${reply.sub_code}: ${reply.sub_msg ?? reply.msg}` };
    if (reply.code !== '10000') throw refusal('alipay.fund.trans.uni.transfer', reply);
    return transferResult(reply);
  }

  /** The transfer made under a refund's number (alipay.fund.trans.common.query), if any. */
  private async queryTransfer(refundId: string): Promise<RefundResult | { outcome: 'not_found' }> {
    const reply = await this.call('alipay.fund.trans.common.query', {
      out_biz_no: outRefundNo(refundId),
      product_code: TRANSFER_PRODUCT,
      biz_scene: TRANSFER_SCENE,
    });
    if (reply.code === '40004' && reply.sub_code === 'ORDER_NOT_EXIST') return { outcome: 'not_found' };
    if (reply.code !== '10000') throw refusal('alipay.fund.trans.common.query', reply);
    return transferResult(reply);
  }

  verifyNotification(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): GatewayEvent {
    const contentType = headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType))
      throw badRequest('validation_failed', 'An Alipay notification is a form (application/x-www-form-urlencoded).');
    const form = formFields(rawBody);
    if (!form.sign || form.sign_type !== 'RSA2') throw new AppError(401, 'invalid_signature', 'The notification is not signed with RSA2.');
    if (!this.sdk.checkNotifySignV2(form)) throw new AppError(401, 'invalid_signature', "The notification's signature does not match Alipay's public key.");
    if (form.app_id !== this.config.appId) throw badRequest('validation_failed', `The notification is for app ${form.app_id}, not ours.`);
    const notifiedAt = DateTime.fromFormat(form.notify_time ?? '', 'yyyy-MM-dd HH:mm:ss', { zone: BUSINESS_TIME_ZONE });
    if (!notifiedAt.isValid) throw badRequest('validation_failed', 'The notification has no notify_time (yyyy-MM-dd HH:mm:ss).');
    const ageHours = (now.getTime() - notifiedAt.toMillis()) / 3_600_000;
    if (ageHours > NOTIFICATION_LIFETIME_HOURS || ageHours < -0.25)
      throw new AppError(
        401,
        'stale_notification',
        `The notification was sent at ${form.notify_time} (China time): Alipay retries for a day, so it may be a replay.`,
      );
    const paymentId = paymentIdOf(form.out_trade_no ?? '');
    if (!paymentId) throw badRequest('validation_failed', `The notification's out_trade_no ${form.out_trade_no} is not one of ours.`);
    if (!form.notify_id || form.notify_id.length > 100) throw badRequest('validation_failed', 'The notification has no usable notify_id.');
    // A refund's notification (out_biz_no = the refund's out_request_no, refund_fee) reports money going
    // out: the trade stays TRADE_SUCCESS, or is TRADE_CLOSED once refunded in full. refund_fee is the trade's
    // running total, which is this refund's amount when it is the trade's first; a later one does not match
    // its refund and is refused (the refund call's answer and queryRefund confirm it anyway).
    if (form.out_biz_no !== undefined && form.refund_fee !== undefined) {
      const refundId = refundIdOf(form.out_biz_no);
      if (!refundId) throw badRequest('validation_failed', `The refund notification's out_biz_no ${form.out_biz_no} is not one of our refunds.`);
      return { id: form.notify_id, type: 'refund.succeeded', refundId, paymentId, amount: yuanOf(form, 'refund_fee'), currency: 'CNY' };
    }
    const amount = yuanOf(form, 'total_amount');
    const base = { id: form.notify_id, paymentId, amount, currency: 'CNY' };
    switch (form.trade_status) {
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED':
        if (!form.trade_no) throw badRequest('validation_failed', 'A paid notification has no trade_no.');
        return { ...base, type: 'payment.succeeded', transactionId: form.trade_no, payer: form.buyer_id || form.buyer_open_id || null };
      case 'TRADE_CLOSED':
        return { ...base, type: 'payment.failed', transactionId: null };
      default:
        // WAIT_BUYER_PAY is sent only to apps that ask for it: it settles nothing.
        throw new AppError(422, 'nothing_to_settle', `A notification with trade_status ${form.trade_status} settles nothing.`);
    }
  }

  acknowledgement(result: NotificationResult): NotificationAnswer {
    // Alipay reads the body only: anything but "success" is retried (8 times in about 25 hours).
    return result.accepted
      ? { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' }
      : { status: result.error.status, contentType: 'text/plain; charset=utf-8', body: 'fail' };
  }

  async statement(day: string): Promise<StatementLine[]> {
    const reply = await this.call('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: day });
    // A day without a single trade has no bill.
    if (reply.code === '40004' && reply.sub_code === 'isp.bill_not_exist') return [];
    if (reply.code !== '10000' || typeof reply.bill_download_url !== 'string') throw refusal('alipay.data.dataservice.bill.downloadurl.query', reply);
    let zip: Uint8Array;
    try {
      const response = await fetch(reply.bill_download_url, { signal: AbortSignal.timeout(this.config.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      zip = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new AlipayError('bill download', (error as Error).message, { timedOut: (error as Error).name === 'TimeoutError' });
    }
    return billLines(zip);
  }

  /** One call of the open API (gateway.do), its reply verified with Alipay's public key over the raw `*_response` text. */
  private async call(method: string, bizContent: Record<string, unknown>, params: Record<string, string> = {}): Promise<Reply> {
    try {
      return (await this.sdk.exec(method, { ...params, bizContent, timestamp: chinaTime(new Date()) }, { validateSign: true })) as Reply;
    } catch (error) {
      const cause = (error as { cause?: Error }).cause;
      const timedOut = /timeout/i.test(cause?.name ?? '');
      throw new AlipayError(method, timedOut ? `no answer within ${this.config.timeoutMs} ms` : (error as Error).message, { timedOut });
    }
  }
}

/** 单笔转账 to an Alipay account, no password (the product a merchant signs for paying users). */
const TRANSFER_PRODUCT = 'TRANS_ACCOUNT_NO_PWD';
const TRANSFER_SCENE = 'DIRECT_TRANSFER';

/** A transfer's status as the port's outcome; a failed, returned or closed transfer stays so under its number: final. */
function transferResult(reply: Reply): RefundResult {
  const status = text(reply, 'status');
  if (status === 'SUCCESS') return { outcome: 'succeeded' };
  if (['FAIL', 'REFUND', 'CLOSED'].includes(status))
    return { outcome: 'rejected', final: true, reason: `Alipay transfer ${status}${reply.fail_reason ? `: ${String(reply.fail_reason)}` : ''}` };
  // INIT, WAIT_PAY, DEALING: under way.
  return { outcome: 'processing' };
}

/** A reply's optional text field: undefined when absent or empty. */
function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Yuan with exactly two decimals, as Alipay's amounts are written; an amount finer than a fen is refused, never rounded. */
function yuan(amount: Decimal): string {
  if (amount.lte(0)) throw new RangeError(`an Alipay amount is at least 0.01 yuan, not ${amount.toString()}`);
  return formatMoney(amount);
}

/**
 * Alipay's time: "yyyy-MM-dd HH:mm:ss" in China time. The SDK's own timestamp is the machine's local
 * time, hours off on a server that runs in UTC; so every call passes this one.
 */
function chinaTime(at: Date): string {
  return DateTime.fromJSDate(at, { zone: BUSINESS_TIME_ZONE }).toFormat('yyyy-MM-dd HH:mm:ss');
}

function refusal(method: string, reply: Reply): AlipayError {
  const code = String(reply.code ?? '');
  const subCode = typeof reply.sub_code === 'string' ? reply.sub_code : undefined;
  return new AlipayError(method, `${code} ${reply.msg ?? ''}${subCode ? ` (${subCode}: ${reply.sub_msg ?? ''})` : ''}`.trim(), { code, subCode });
}

function text(reply: Reply, field: string): string {
  const value = reply[field];
  if (typeof value !== 'string' || value === '') throw new AlipayError('reply', `has no ${field}`);
  return value;
}

function amountOf(reply: Reply, field: string): Decimal {
  try {
    return parseMoney(text(reply, field));
  } catch {
    throw new AlipayError('reply', `${field} ${String(reply[field])} is not an amount of yuan`);
  }
}

function yuanOf(form: Record<string, string>, field: string): Decimal {
  try {
    return parseMoney(form[field] ?? '');
  } catch {
    throw badRequest('validation_failed', `The notification's ${field} ${form[field]} is not an amount of yuan.`);
  }
}

/** The notification's form fields, each once: a field given twice could be read one way and verified another. */
function formFields(rawBody: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    if (name in fields) throw badRequest('validation_failed', `The notification has ${name} twice.`);
    fields[name] = value;
  }
  if (fields.charset && fields.charset.toLowerCase() !== 'utf-8')
    throw badRequest('validation_failed', `The notification is in ${fields.charset}: set the application's charset to UTF-8 on the open platform.`);
  return fields;
}

/**
 * The lines of Alipay's trade bill: a zip holding `<pid>_<yyyyMMdd>_业务明细.csv` (and its summary,
 * `…_业务明细(汇总).csv`), GBK text with `#` comment lines around a header row and one row per payment
 * (业务类型 交易) or refund (退款). Columns are read by their header names; fields carry padding tabs.
 */
export function billLines(zip: Uint8Array): StatementLine[] {
  const files = unzipSync(zip);
  const name = Object.keys(files).find((n) => n.endsWith('_业务明细.csv'));
  if (!name) throw new AlipayError('bill download', `the bill has no 业务明细 file (it has ${Object.keys(files).join(', ') || 'nothing'})`);
  const rows = new TextDecoder('gbk')
    .decode(files[name])
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => csvFields(line).map((field) => field.trim()));
  const [header, ...data] = rows;
  const column = (title: string) => {
    const index = header?.indexOf(title) ?? -1;
    if (index < 0) throw new AlipayError('bill download', `the bill has no column ${title}`);
    return index;
  };
  const [tradeNo, orderNo, type, finished, amount, requestNo] = [
    '支付宝交易号',
    '商户订单号',
    '业务类型',
    '完成时间',
    '订单金额（元）',
    '退款批次号/请求号',
  ].map(column);
  return data.map((row) => {
    const kind = row[type] === '退款' ? 'refund' : 'payment';
    const at = DateTime.fromFormat(row[finished], 'yyyy-MM-dd HH:mm:ss', { zone: BUSINESS_TIME_ZONE });
    if (!at.isValid) throw new AlipayError('bill download', `a bill line has no 完成时间: ${row.join(',')}`);
    return {
      kind,
      paymentId: paymentIdOf(row[orderNo]),
      refundId: kind === 'refund' ? refundIdOf(row[requestNo]) : null,
      transactionId: row[tradeNo] || null,
      // A refund's line carries its amount negative.
      amount: parseMoney(row[amount].replace(/^-/, '')),
      currency: 'CNY',
      at: at.toJSDate(),
    };
  });
}

/** One CSV line's fields: separated by commas, a field in double quotes may hold commas and "" for a quote. */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]));
}
