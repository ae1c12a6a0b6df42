import type { Decimal } from '../platform/money';

/** What a gateway tells us about a payment, once its notification is verified. */
export interface GatewayEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  paymentId: string;
  amount: Decimal;
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
  /** Sends money back. Idempotent per refundId at the provider, so a retry never refunds twice. */
  refund(request: { refundId: string; paymentId: string; amount: Decimal }): Promise<RefundResult>;
}
