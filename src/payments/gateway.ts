import type { Decimal } from '../platform/money';

/** What a gateway tells us about a payment, once its notification is verified. */
export interface GatewayEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  /** Our payment id, as the gateway knows it. */
  paymentId: string;
  amount: Decimal;
  /** ISO 4217 currency of `amount`. */
  currency: string;
  /** The gateway's id of the money taken; present on every success. One transaction is money taken once. */
  transactionId: string | null;
}

/** Money back for one payment at the gateway (the payment id it knows, and the transaction when known), in the currency it was taken in. */
export interface RefundRequest {
  refundId: string;
  paymentId: string;
  transactionId: string | null;
  amount: Decimal;
  currency: string;
  /** Why the money goes back: the refund's reason (e.g. `campaign_cancelled`, `deposit_compensation`). */
  reason: string;
}

export type RefundResult = { ok: true } | { ok: false; reason: string };

/**
 * The payment-gateway port. A real provider (WeChat Pay, Alipay) is an adapter of this interface; the
 * built-in one is the sandbox. Calls to it are made outside database transactions.
 */
export interface PaymentGateway {
  readonly name: string;
  /** Verifies a notification's signature and freshness and reads it; throws an AppError when it is not genuine. */
  verifyNotification(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): GatewayEvent;
  /**
   * Sends money back. Idempotent per refundId at the provider, so a retry never refunds twice. A
   * `deposit_compensation` (定金双倍返还) is money beyond what the payment brought in: a real provider
   * pays it to the payer as a transfer (WeChat Pay 商家转账, Alipay 单笔转账), since a refund cannot
   * exceed its payment.
   */
  refund(request: RefundRequest): Promise<RefundResult>;
}
