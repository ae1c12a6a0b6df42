import type { AppError } from '../platform/http/app-error';
import type { Decimal } from '../platform/money';

/** Our payment id ↔ the provider's order number: the UUID without dashes (32 chars; WeChat allows 6–32 of [0-9A-Za-z_-|*]). */
export function outTradeNo(paymentId: string): string {
  return paymentId.replaceAll('-', '');
}

/** The payment id an order number of ours stands for; null when it is not one of ours. */
export function paymentIdOf(no: string): string | null {
  const m = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/.exec(no);
  return m ? m.slice(1).join('-') : null;
}

/** The same for refunds (WeChat out_refund_no, Alipay out_request_no). */
export const outRefundNo = outTradeNo;
export const refundIdOf = paymentIdOf;

/** Desktop QR code, phone-browser redirect (H5/wap), inside WeChat (JSAPI), the sandbox's sheet. */
export type CheckoutChannel = 'qr' | 'h5' | 'jsapi' | 'sheet';
export const CHECKOUT_CHANNELS = ['qr', 'h5', 'jsapi', 'sheet'] as const satisfies readonly CheckoutChannel[];

/** Asks a provider to take one payment of ours. */
export interface CheckoutRequest {
  paymentId: string;
  /** What the consumer sees on the provider's page (WeChat description, Alipay subject). */
  description: string;
  amount: Decimal;
  currency: string;
  channel: CheckoutChannel;
  /** The payment's own deadline (the deposit hold, the balance due): the provider closes the order then. */
  expiresAt: Date;
  /** The consumer's address (WeChat H5 requires it). */
  clientIp?: string;
  /** The payer's openid in our official account (JSAPI). */
  openid?: string;
  /** Where the provider's page sends the consumer back (H5/wap). */
  returnUrl?: string;
}

/** What the client needs to pay. */
export type Checkout =
  /** WeChat Native code_url / Alipay precreate qr_code: text to show as a QR code. */
  | { channel: 'qr'; qrCode: string }
  /** WeChat h5_url (+redirect_url) / Alipay wap.pay page URL. */
  | { channel: 'h5'; redirectUrl: string }
  /** WeixinJSBridge getBrandWCPayRequest parameters. */
  | { channel: 'jsapi'; jsapi: { appId: string; timeStamp: string; nonceStr: string; package: string; signType: 'RSA'; paySign: string } }
  /** The sandbox: the storefront's sandbox sheet /pay/:id. */
  | { channel: 'sheet'; checkoutUrl: string };

/**
 * A verified fact from a provider, from a notification or a query: both settle through the same path.
 * `id` is the provider's event id (a query's is `query:<transaction id>` or similar): one id is recorded once.
 */
export type GatewayEvent =
  | {
      id: string;
      type: 'payment.succeeded' | 'payment.failed';
      /** Our payment id, as the gateway knows it. */
      paymentId: string;
      amount: Decimal;
      /** ISO 4217 currency of `amount`. */
      currency: string;
      /** The gateway's id of the money taken; present on every success. One transaction is money taken once. */
      transactionId: string | null;
      /**
       * Who paid, as the provider knows them (WeChat Pay payer.openid, Alipay buyer_id or buyer_open_id), when
       * it says: kept on the payment, since money beyond a refund (a deposit_compensation) is paid to them.
       */
      payer?: string | null;
    }
  | {
      id: string;
      type: 'refund.succeeded' | 'refund.failed';
      refundId: string;
      /** The payment id the gateway knows the refunded money under. */
      paymentId: string;
      amount: Decimal;
      currency: string;
    };
export type PaymentEvent = Extract<GatewayEvent, { type: 'payment.succeeded' | 'payment.failed' }>;
export type RefundEvent = Extract<GatewayEvent, { type: 'refund.succeeded' | 'refund.failed' }>;

export type PaymentQueryResult =
  /** `event` as a notification would carry it. */
  | { state: 'paid' | 'failed'; event: PaymentEvent }
  /** Not paid yet (NOTPAY, USERPAYING, WAIT_BUYER_PAY). */
  | { state: 'pending' }
  /** Closed, revoked, expired unpaid. */
  | { state: 'closed' }
  /** The provider has no such order. */
  | { state: 'not_found' };

/** Money back for one payment at the gateway (the payment id it knows, and the transaction when known), in the currency it was taken in. */
export interface RefundRequest {
  refundId: string;
  paymentId: string;
  transactionId: string | null;
  amount: Decimal;
  currency: string;
  /** Why the money goes back: the refund's reason (e.g. `campaign_cancelled`, `deposit_compensation`). */
  reason: string;
  /** Who paid the payment at the provider (PaymentEvent.payer), when known: a transfer is paid to them. */
  payer?: string | null;
}

/**
 * `processing`: accepted, not finished; its notification or a query says how it ended. `rejected` is
 * retried, unless `final`: asking again cannot go otherwise (no payer known for a transfer), so the refund
 * is left failed for an operator (GET /v1/refunds?status=failed) rather than sent until the job gives up.
 */
export type RefundResult = { outcome: 'succeeded' } | { outcome: 'processing' } | { outcome: 'rejected'; reason: string; final?: true };

/** One line of a provider's record of money in and out. */
export interface StatementLine {
  kind: 'payment' | 'refund';
  /** Ours, read back from the provider's order number; null when it is not one of ours. */
  paymentId: string | null;
  refundId: string | null;
  transactionId: string | null;
  amount: Decimal;
  currency: string;
  at: Date;
}

/** How a notification was taken. `unexpected`: the gateway took money we did not ask for; it is recorded and refunded (GET /v1/payments?kind=unexpected). */
export type NotificationOutcome = 'processed' | 'duplicate' | 'already_settled' | 'unexpected';

/** How a notification was taken (or why it was refused), for the provider's expected answer. */
export type NotificationResult =
  | { accepted: true; outcome: NotificationOutcome }
  /** `problem`: the API's own problem document of `error`, for a provider that takes one. */
  | { accepted: false; error: AppError; problem: object };

/** An HTTP answer as the provider expects it. */
export interface NotificationAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The payment-gateway port. A real provider (WeChat Pay, Alipay) is an adapter of this interface; the
 * built-in one is the sandbox. Calls to it are made outside database transactions; a call with no
 * answer in time throws (the caller retries; everything is idempotent per payment or refund id).
 */
export interface PaymentGateway {
  /** 'sandbox' | 'wechatpay' | 'alipay': the :provider of POST /v1/payments/notifications/:provider. */
  readonly name: string;
  /** The checkouts it offers. */
  readonly channels: readonly CheckoutChannel[];
  /** Refund reasons it pays as a transfer to the payer (a deposit_compensation), which its statement of trades does not show. */
  readonly paidByTransfer?: readonly string[];
  createPayment(request: CheckoutRequest): Promise<Checkout>;
  queryPayment(paymentId: string): Promise<PaymentQueryResult>;
  /**
   * Sends money back. Idempotent per refundId at the provider, so a retry never refunds twice. A
   * `deposit_compensation` (定金双倍返还) is money beyond what the payment brought in: a real provider
   * pays it to the request's payer as a transfer (WeChat Pay 商家转账, Alipay 单笔转账), since a refund
   * cannot exceed its payment; its number is the refund's (outRefundNo), so a retry pays nothing twice.
   */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** How a refund stands at the provider: a refund of the payment, or else a transfer under the refund's number. */
  queryRefund(refund: { refundId: string; paymentId: string }): Promise<RefundResult | { outcome: 'not_found' }>;
  /** Verifies a notification's signature and freshness and reads it; throws an AppError (4xx: invalid_signature, stale_notification, validation_failed) when it is not genuine. */
  verifyNotification(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): GatewayEvent;
  /** The HTTP answer the provider expects to its notification (WeChat: 204 empty / 4xx {code:'FAIL',message}; Alipay: text "success"/"fail"). */
  acknowledgement(result: NotificationResult): NotificationAnswer;
  /** The provider's record of money in and out on one Asia/Shanghai calendar day (YYYY-MM-DD): WeChat tradebill, Alipay bill; the sandbox its own record. */
  statement(day: string): Promise<StatementLine[]>;
}
