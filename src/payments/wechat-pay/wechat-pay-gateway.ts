import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../../platform/calendar';
import type { Clock } from '../../platform/clock';
import { badRequest, unprocessable } from '../../platform/http/app-error';
import type { Logger } from '../../platform/logger';
import { type Decimal, fromFen, toFen } from '../../platform/money';
import {
  type Checkout,
  type CheckoutChannel,
  type CheckoutRequest,
  type GatewayEvent,
  type NotificationAnswer,
  type NotificationResult,
  type PaymentEvent,
  type PaymentGateway,
  type PaymentQueryResult,
  type RefundRequest,
  type RefundResult,
  type StatementLine,
  outRefundNo,
  outTradeNo,
  paymentIdOf,
  refundIdOf,
} from '../gateway';
import { parseTradeBill } from './tradebill';
import { WechatPayClient, WechatPayError, WechatPayUnanswered } from './wechat-pay-client';
import { SignatureRejected, decryptResource, jsapiParameters, nonce, notificationRejected, verifyWechatpaySignature } from './wechat-pay-crypto';
import type { WechatPayConfig } from './wechat-pay.config';

/** WeChat Pay takes CNY only (境内普通商户). */
const CURRENCY = 'CNY';

/** An amount of integer fen as WeChat Pay writes it. */
const fen = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const Transaction = z.object({
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_state: z.enum(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']),
  amount: z.object({ total: fen, currency: z.string().default(CURRENCY) }).optional(),
  /** The payer's openid under our AppID: a compensation is transferred to it. */
  payer: z.object({ openid: z.string().min(1).max(128) }).optional(),
});
type Transaction = z.infer<typeof Transaction>;

const Refund = z.object({
  out_refund_no: z.string(),
  status: z.enum(['SUCCESS', 'CLOSED', 'PROCESSING', 'ABNORMAL']),
});

/** A refund notification's resource (original_type "refund"): the amount refunded, in fen, always CNY. */
const RefundResource = z.object({
  mchid: z.string(),
  out_trade_no: z.string(),
  out_refund_no: z.string(),
  refund_status: z.enum(['SUCCESS', 'CLOSED', 'ABNORMAL']),
  amount: z.object({ refund: fen }),
});

const Notification = z.object({
  id: z.string().min(1).max(64),
  event_type: z.string(),
  resource_type: z.literal('encrypt-resource'),
  resource: z.object({ algorithm: z.string(), ciphertext: z.string(), nonce: z.string(), associated_data: z.string().optional() }),
});

/**
 * A 商家转账 bill (the upgraded API, /v3/fund-app/mch-transfer/transfer-bills). WAIT_USER_CONFIRM: the payer
 * must confirm receipt in WeChat (package_info); ACCEPTED, PROCESSING, TRANSFERING, CANCELING: under way.
 */
const TransferBill = z.object({
  out_bill_no: z.string(),
  state: z.enum(['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING', 'SUCCESS', 'FAIL', 'CANCELING', 'CANCELLED']),
  fail_reason: z.string().optional(),
});

/** What the payer reads with the transfer (transfer_remark, at most 32 characters), and why we pay it (the scene's report). */
const COMPENSATION_REMARK = '预售活动取消，定金双倍返还';
const COMPENSATION_REPORT = [{ info_type: '赔付原因', info_content: '商家取消已成团预售，按定金罚则双倍返还定金' }];

const Bill = z.object({ hash_type: z.string(), hash_value: z.string(), download_url: z.string() });

/**
 * The shopper-facing reason of a refund (shown in WeChat's refund message, at most 80 characters), by
 * our reason code.
 */
const REFUND_REASONS: Record<string, string> = {
  pledge_cancelled: '取消预订，定金原路退回',
  campaign_cancelled: '预售活动取消，原路退回',
  campaign_failed: '预售未成团，定金原路退回',
  variant_not_produced: '所选款式未能生产，定金原路退回',
  late_payment: '付款晚于截止时间，原路退回',
  unexpected_payment: '重复或不符的付款，原路退回',
};

/**
 * WeChat Pay API v3 as a payment gateway: Native (QR code on a desktop), H5 (a phone browser) and JSAPI
 * (inside WeChat) checkouts, queries, refunds, verified and decrypted notifications, the daily trade
 * bill. A thin adapter on node:crypto and fetch; docs/payments.md says why no SDK.
 */
export class WechatPayGateway implements PaymentGateway {
  readonly name = 'wechatpay';
  readonly channels: readonly CheckoutChannel[] = ['qr', 'h5', 'jsapi'];
  readonly paidByTransfer = ['deposit_compensation'];
  private readonly client: WechatPayClient;

  constructor(
    private readonly config: WechatPayConfig,
    private readonly deps: { clock: Clock; logger: Logger },
  ) {
    this.client = new WechatPayClient(config, deps.clock, deps.logger);
  }

  async createPayment(request: CheckoutRequest): Promise<Checkout> {
    const order = {
      appid: this.config.appid,
      mchid: this.config.merchant.mchid,
      // WeChat Pay takes at most 127 characters.
      description: [...request.description].slice(0, 127).join(''),
      out_trade_no: outTradeNo(request.paymentId),
      // RFC 3339 to the second, in China time (2018-06-08T10:34:56+08:00), as the documentation writes it.
      time_expire: DateTime.fromJSDate(request.expiresAt, { zone: BUSINESS_TIME_ZONE }).set({ millisecond: 0 }).toISO({ suppressMilliseconds: true }),
      notify_url: this.config.notifyUrl,
      amount: { total: fenOf(request.amount, request.currency), currency: CURRENCY },
    };
    switch (request.channel) {
      case 'qr': {
        const { json } = await this.client.call('POST', '/v3/pay/transactions/native', order);
        return { channel: 'qr', qrCode: read(z.object({ code_url: z.string().min(1) }), json, 'the Native order').code_url };
      }
      case 'h5': {
        if (!request.clientIp) throw badRequest('validation_failed', "A WeChat Pay H5 checkout needs the payer's IP address.");
        const { json } = await this.client.call('POST', '/v3/pay/transactions/h5', {
          ...order,
          // An IPv4 client seen through an IPv6 socket (::ffff:203.0.113.7) is given as the IPv4 address WeChat Pay expects.
          scene_info: { payer_client_ip: request.clientIp.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1'), h5_info: { type: 'Wap' } },
        });
        const h5Url = read(z.object({ h5_url: z.string().min(1) }), json, 'the H5 order').h5_url;
        // Back to our page after the cashier: the page asks us (not the redirect) whether it was paid.
        return { channel: 'h5', redirectUrl: request.returnUrl ? `${h5Url}&redirect_url=${encodeURIComponent(request.returnUrl)}` : h5Url };
      }
      case 'jsapi': {
        if (!request.openid) throw badRequest('validation_failed', "A WeChat Pay JSAPI checkout needs the payer's openid in our official account.");
        const { json } = await this.client.call('POST', '/v3/pay/transactions/jsapi', { ...order, payer: { openid: request.openid } });
        const prepayId = read(z.object({ prepay_id: z.string().min(1) }), json, 'the JSAPI order').prepay_id;
        const timestamp = Math.floor(this.deps.clock.now().getTime() / 1000);
        return { channel: 'jsapi', jsapi: jsapiParameters(this.config.merchant, this.config.appid, prepayId, timestamp, nonce()) };
      }
      default:
        throw unprocessable('checkout_not_offered', `WeChat Pay has no ${request.channel} checkout (only ${this.channels.join(', ')}).`);
    }
  }

  async queryPayment(paymentId: string): Promise<PaymentQueryResult> {
    const transaction = await this.transaction(paymentId);
    if (!transaction) return { state: 'not_found' };
    switch (transaction.trade_state) {
      // REFUND: paid, and (some of) it given back since; the money was taken all the same.
      case 'SUCCESS':
      case 'REFUND':
        return { state: 'paid', event: paymentEvent(`query:${transaction.transaction_id}`, 'payment.succeeded', paymentId, transaction) };
      case 'PAYERROR':
        return { state: 'failed', event: paymentEvent(`query:${transaction.out_trade_no}:PAYERROR`, 'payment.failed', paymentId, transaction) };
      case 'NOTPAY':
      case 'USERPAYING':
        return { state: 'pending' };
      case 'CLOSED':
      case 'REVOKED':
        return { state: 'closed' };
    }
  }

  /** The order WeChat Pay has for a payment of ours, or null. */
  private async transaction(paymentId: string): Promise<Transaction | null> {
    const no = outTradeNo(paymentId);
    try {
      const { json } = await this.client.call('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${this.config.merchant.mchid}`);
      const transaction = read(Transaction, json, 'the order');
      if (transaction.out_trade_no !== no || transaction.mchid !== this.config.merchant.mchid)
        throw new WechatPayUnanswered(`WeChat Pay answered the query of order ${no} with order ${transaction.out_trade_no} of merchant ${transaction.mchid}.`);
      return transaction;
    } catch (error) {
      if (error instanceof WechatPayError && error.providerCode === 'ORDER_NOT_EXIST') return null;
      throw error;
    }
  }

  /**
   * A refund through the refund API; a deposit_compensation, beyond the payment, is a transfer instead.
   * WeChat Pay wants the order's total with a refund, so the order is read first; that also refuses at
   * once what WeChat Pay would refuse (an order never paid, a refund beyond it).
   */
  async refund(request: RefundRequest): Promise<RefundResult> {
    if (request.reason === 'deposit_compensation') return this.transfer(request);
    const refundFen = fenOf(request.amount, request.currency);
    const transaction = await this.transaction(request.paymentId);
    if (!transaction || !['SUCCESS', 'REFUND'].includes(transaction.trade_state) || !transaction.amount)
      return { outcome: 'rejected', reason: `WeChat Pay has no paid order for payment ${request.paymentId} (${transaction?.trade_state ?? 'no order'})` };
    if (refundFen > transaction.amount.total)
      return {
        outcome: 'rejected',
        reason: `the refund of ${request.amount.toFixed(2)} exceeds the payment of ${fromFen(transaction.amount.total).toFixed(2)}: money beyond a payment is a transfer (商家转账), not a refund`,
      };
    try {
      const { json } = await this.client.call('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: transaction.out_trade_no,
        out_refund_no: outRefundNo(request.refundId),
        reason: REFUND_REASONS[request.reason] ?? '预售退款',
        notify_url: this.config.notifyUrl,
        amount: { refund: refundFen, total: transaction.amount.total, currency: CURRENCY },
      });
      return refundResult(read(Refund, json, 'the refund').status);
    } catch (error) {
      // A refusal of this very refund (not enough balance, a closed order, …) is its answer; WeChat Pay being busy is not.
      if (error instanceof WechatPayError && !error.transient && error.providerStatus !== 401)
        return { outcome: 'rejected', reason: `${error.providerCode}: ${error.providerMessage}` };
      throw error;
    }
  }

  /** A refund of ours, or else the transfer made under its number (a compensation). */
  async queryRefund(refund: { refundId: string; paymentId: string }): Promise<RefundResult | { outcome: 'not_found' }> {
    try {
      const { json } = await this.client.call('GET', `/v3/refund/domestic/refunds/${outRefundNo(refund.refundId)}`);
      return refundResult(read(Refund, json, 'the refund').status);
    } catch (error) {
      if (!(error instanceof WechatPayError && error.providerCode === 'RESOURCE_NOT_EXISTS')) throw error;
    }
    return this.queryTransfer(refund.refundId);
  }

  private async queryTransfer(refundId: string): Promise<RefundResult | { outcome: 'not_found' }> {
    try {
      const { json } = await this.client.call('GET', `/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/${outRefundNo(refundId)}`);
      return transferResult(read(TransferBill, json, 'the transfer'));
    } catch (error) {
      if (error instanceof WechatPayError && ['NOT_FOUND', 'RESOURCE_NOT_EXISTS'].includes(error.providerCode)) return { outcome: 'not_found' };
      throw error;
    }
  }

  /**
   * A compensation (定金双倍返还) is money beyond the payment, which no refund can carry: it is paid as a
   * 商家转账 to the payer's openid, its out_bill_no our refund's number, so asking again is the same bill.
   * Without a payer (paid before payers were kept) or a transfer scene, asking again cannot help: a final refusal.
   */
  private async transfer(request: RefundRequest): Promise<RefundResult> {
    const amount = fenOf(request.amount, request.currency);
    if (!request.payer)
      return {
        outcome: 'rejected',
        final: true,
        reason: "WeChat Pay: the payer's openid is not known for this payment, so the compensation cannot be transferred; pay it by hand",
      };
    if (!this.config.transferSceneId)
      return {
        outcome: 'rejected',
        final: true,
        reason: 'WeChat Pay: 商家转账 is not set up (WECHATPAY_TRANSFER_SCENE_ID), so the compensation cannot be transferred; pay it by hand',
      };
    try {
      const { json } = await this.client.call('POST', '/v3/fund-app/mch-transfer/transfer-bills', {
        appid: this.config.appid,
        out_bill_no: outRefundNo(request.refundId),
        transfer_scene_id: this.config.transferSceneId,
        openid: request.payer,
        transfer_amount: amount,
        transfer_remark: COMPENSATION_REMARK,
        transfer_scene_report_infos: COMPENSATION_REPORT,
      });
      const bill = read(TransferBill, json, 'the transfer');
      // The answer to 发起转账 carries no fail_reason: a bill that failed before (asked again) is queried for it, for the operator.
      const found = bill.state === 'FAIL' ? await this.queryTransfer(request.refundId) : undefined;
      return found && found.outcome !== 'not_found' ? found : transferResult(bill);
    } catch (error) {
      // As for a refund: WeChat Pay refusing this transfer (not enough balance, …) is its answer; busy or silent is not.
      if (error instanceof WechatPayError && !error.transient && error.providerStatus !== 401)
        return { outcome: 'rejected', reason: `${error.providerCode}: ${error.providerMessage}` };
      throw error;
    }
  }

  /**
   * A notification: its signature (by the key Wechatpay-Serial names, within 5 minutes), then its
   * resource decrypted with the APIv3 key (which authenticates it a second time), then read.
   * TRANSACTION.SUCCESS is a payment, REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED a refund; the
   * notification's id (the same on every redelivery) is the event's.
   */
  verifyNotification(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): GatewayEvent {
    try {
      verifyWechatpaySignature(headers, rawBody, this.config.platformKeys, now);
    } catch (error) {
      if (error instanceof SignatureRejected) throw notificationRejected(error);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw badRequest('malformed_json', 'The WeChat Pay notification is not valid JSON.');
    }
    const notification = readNotification(Notification, json, 'notification');
    let resource: unknown;
    try {
      resource = JSON.parse(decryptResource(this.config.apiV3Key, notification.resource));
    } catch (error) {
      if (error instanceof SyntaxError) throw badRequest('validation_failed', "The WeChat Pay notification's resource is not JSON.");
      throw error;
    }
    if (notification.event_type === 'TRANSACTION.SUCCESS') {
      const transaction = readNotification(Transaction, resource, 'transaction');
      this.ours(transaction.mchid);
      if (transaction.trade_state !== 'SUCCESS' || !transaction.transaction_id || !transaction.amount)
        throw badRequest('validation_failed', `A TRANSACTION.SUCCESS notification of a ${transaction.trade_state} order.`);
      return paymentEvent(notification.id, 'payment.succeeded', idOf(paymentIdOf, transaction.out_trade_no, 'out_trade_no'), transaction);
    }
    if (notification.event_type.startsWith('REFUND.')) {
      const refund = readNotification(RefundResource, resource, 'refund');
      this.ours(refund.mchid);
      return {
        id: notification.id,
        type: refund.refund_status === 'SUCCESS' ? 'refund.succeeded' : 'refund.failed',
        refundId: idOf(refundIdOf, refund.out_refund_no, 'out_refund_no'),
        paymentId: idOf(paymentIdOf, refund.out_trade_no, 'out_trade_no'),
        amount: fromFen(refund.amount.refund),
        currency: CURRENCY,
      };
    }
    throw badRequest('validation_failed', `The WeChat Pay notification is a ${notification.event_type}, which we do not take.`);
  }

  private ours(mchid: string): void {
    if (mchid !== this.config.merchant.mchid) throw badRequest('validation_failed', `The WeChat Pay notification is for merchant ${mchid}, not ours.`);
  }

  /** WeChat Pay's expected answer: 204 with no body when taken; otherwise a 4xx/5xx with {"code":"FAIL","message":…}, and it sends again later. */
  acknowledgement(result: NotificationResult): NotificationAnswer {
    if (result.accepted) return { status: 204, contentType: 'application/json', body: '' };
    return { status: result.error.status, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: result.error.detail }) };
  }

  /**
   * The trade bill of one day (bill_type ALL, uncompressed): WeChat Pay answers a download URL and the
   * file's SHA1; the file is fetched with a signed GET and checked against that hash. No bill for the
   * day (NO_STATEMENT_EXIST: nothing was paid or refunded) is an empty statement. A bill is ready from
   * about 10:00 the next day; before that WeChat Pay refuses, and this throws.
   */
  async statement(day: string): Promise<StatementLine[]> {
    let bill: z.infer<typeof Bill>;
    try {
      const { json } = await this.client.call('GET', `/v3/bill/tradebill?bill_date=${day}&bill_type=ALL`);
      bill = read(Bill, json, 'the trade bill');
    } catch (error) {
      if (error instanceof WechatPayError && error.providerCode === 'NO_STATEMENT_EXIST') return [];
      throw error;
    }
    if (bill.hash_type !== 'SHA1') throw new WechatPayUnanswered(`The trade bill of ${day} comes with a ${bill.hash_type} hash, not the documented SHA1.`);
    const file = await this.client.download(bill.download_url);
    if (createHash('sha1').update(file).digest('hex') !== bill.hash_value.toLowerCase())
      throw new WechatPayUnanswered(`The trade bill of ${day} does not match its ${bill.hash_type} hash: it was altered or cut short; fetch it again.`);
    return parseTradeBill(file.toString('utf8'));
  }
}

/** Integer fen of an amount, as WeChat Pay takes it; only CNY, only whole fen. */
function fenOf(amount: Decimal, currency: string): number {
  if (currency !== CURRENCY) throw unprocessable('currency_not_supported', `WeChat Pay takes ${CURRENCY} only, not ${currency}.`);
  const value = Number(toFen(amount));
  if (!Number.isSafeInteger(value) || value <= 0) throw unprocessable('validation_failed', `WeChat Pay cannot take an amount of ${amount.toString()}.`);
  return value;
}

function paymentEvent(id: string, type: PaymentEvent['type'], paymentId: string, transaction: Transaction): PaymentEvent {
  if (!transaction.amount) throw new WechatPayUnanswered(`WeChat Pay's order ${transaction.out_trade_no} carries no amount.`);
  return {
    id,
    type,
    paymentId,
    amount: fromFen(transaction.amount.total),
    currency: transaction.amount.currency,
    transactionId: type === 'payment.succeeded' ? (transaction.transaction_id ?? null) : null,
    payer: transaction.payer?.openid ?? null,
  };
}

/** A transfer's state as the port's outcome. A failed or cancelled bill stays so under its number: final. */
function transferResult(bill: z.infer<typeof TransferBill>): RefundResult {
  switch (bill.state) {
    case 'SUCCESS':
      return { outcome: 'succeeded' };
    case 'FAIL':
      return { outcome: 'rejected', final: true, reason: `WeChat Pay transfer FAIL: ${bill.fail_reason ?? 'no reason given'}` };
    case 'CANCELLED':
      return { outcome: 'rejected', final: true, reason: 'WeChat Pay transfer CANCELLED' };
    default:
      return { outcome: 'processing' };
  }
}

function refundResult(status: z.infer<typeof Refund>['status']): RefundResult {
  switch (status) {
    case 'SUCCESS':
      return { outcome: 'succeeded' };
    case 'PROCESSING':
      return { outcome: 'processing' };
    case 'ABNORMAL':
      return {
        outcome: 'rejected',
        reason: "ABNORMAL: the payer's bank account cannot take the refund (closed or frozen); handle it in the merchant platform (异常退款)",
      };
    case 'CLOSED':
      return { outcome: 'rejected', reason: 'CLOSED: WeChat Pay closed the refund' };
  }
}

/** An answer of WeChat Pay, read by its schema; one that does not fit is no usable answer. */
function read<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new WechatPayUnanswered(`WeChat Pay's answer with ${what} is not as documented: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A notification's part, read by its schema: one that does not fit is a 400 (WeChat Pay sends it again, and the log shows why). */
function readNotification<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badRequest('validation_failed', `The WeChat Pay notification's ${what} is not as documented: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function idOf(parse: (no: string) => string | null, no: string, field: string): string {
  const id = parse(no);
  if (id === null) throw badRequest('validation_failed', `The WeChat Pay notification's ${field} ${no} is not one of ours.`);
  return id;
}
