import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, badRequest } from '../platform/http/app-error';
import { type Decimal, formatMoney, moneyString, parseMoney } from '../platform/money';
import { signatureHeader, verifySignatureHeader } from '../platform/signature';
import type { GatewayEvent, PaymentGateway, RefundRequest, RefundResult } from './gateway';

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

const EventBody = z
  .strictObject({
    id: z.string().min(1).max(100),
    type: z.enum(['payment.succeeded', 'payment.failed']),
    paymentId: z.uuid(),
    amount: moneyString,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY')
      .default('CNY'),
    transactionId: z.string().min(1).max(64).optional(),
  })
  .refine((e) => e.type !== 'payment.succeeded' || e.transactionId !== undefined, { path: ['transactionId'], message: 'is required when money was taken' });

/**
 * A fault the sandbox plays on one refund call, as a real provider sometimes does (sandbox only):
 * - `reject`: the bank refuses the refund; the answer says so (`{ ok: false }`).
 * - `timeout`: no answer comes back in time; the adapter gives up after `afterMs` and throws
 *   SandboxTimeoutError, as a real adapter's HTTP client would. With `applied` the provider had made
 *   the refund before the answer was lost: the retry (same refund id) finds it done and pays nothing twice.
 */
export type SandboxRefundFault = { kind: 'reject' } | { kind: 'timeout'; applied: boolean; afterMs: number };

/** A refund call that got no answer in time: whether the provider made the refund is unknown to the caller. */
export class SandboxTimeoutError extends Error {
  override name = 'SandboxTimeoutError';
}

/**
 * A simulated WeChat Pay / Alipay: it signs notifications like a real provider (HMAC-SHA256 over
 * "<unix seconds>.<raw body>", header `X-Sandbox-Signature: t=…,v1=…`) and its refunds can be told
 * to fail or time out. It is the one part of the system that tests simulate. Its notifications are
 * sent by whoever plays the provider (a test, or auto-confirm), so late, repeated or out-of-order
 * delivery needs no setting: the caller delivers them so.
 */
export class SandboxGateway implements PaymentGateway {
  readonly name = 'sandbox';
  /** Faults for the next refund calls, first first. */
  private readonly refundFaults: SandboxRefundFault[] = [];
  /** Every refund the sandbox paid out, as a bank statement would show it. */
  readonly refundsSent: { refundId: string; paymentId: string; transactionId: string | null; amount: string; currency: string; reason: string }[] = [];
  /** How many of the next notifications it sends by itself (auto-confirm) are lost on the way. */
  private notificationsToLose = 0;

  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds: number,
  ) {}

  /** The notification the sandbox would send for a payment, signed at `at`. */
  /**
   * The notification the sandbox would send for a payment, signed at `at`. The money taken is one
   * transaction per payment (`txn_<payment id>`), so sending it again reports the same money; a
   * different `transactionId` is a second charge.
   */
  notification(
    payment: { id: string; amount: Decimal },
    outcome: 'succeeded' | 'failed',
    at = new Date(),
    options: { transactionId?: string; currency?: string } = {},
  ): { headers: Record<string, string>; body: Buffer } {
    const transactionId = outcome === 'succeeded' ? (options.transactionId ?? `txn_${payment.id}`) : undefined;
    const body = Buffer.from(
      JSON.stringify({
        id: `evt_${randomUUID()}`,
        type: `payment.${outcome}`,
        paymentId: payment.id,
        amount: formatMoney(payment.amount),
        currency: options.currency ?? 'CNY',
        transactionId,
      }),
    );
    return { headers: { [SANDBOX_SIGNATURE_HEADER]: this.sign(body, at), 'content-type': 'application/json' }, body };
  }

  sign(body: Buffer, at: Date): string {
    return signatureHeader([this.secret], body, at);
  }

  verifyNotification(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): GatewayEvent {
    const header = headers[SANDBOX_SIGNATURE_HEADER] ?? '';
    if (!/^t=\d{1,12}(,v1=[0-9a-f]{64})+$/.test(header))
      throw new AppError(401, 'invalid_signature', 'The notification is not signed (X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256>).');
    const { valid, t } = verifySignatureHeader(this.secret, header, rawBody);
    if (!valid || t === undefined) throw new AppError(401, 'invalid_signature', 'The notification signature does not match.');
    if (Math.abs(now.getTime() / 1000 - t) > this.toleranceSeconds) {
      throw new AppError(401, 'stale_notification', `The notification was signed more than ${this.toleranceSeconds} seconds from now; it may be a replay.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw badRequest('malformed_json', 'The notification body is not valid JSON.');
    }
    const event = EventBody.safeParse(json);
    if (!event.success)
      throw badRequest(
        'validation_failed',
        `The notification is not a sandbox event: ${event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return { ...event.data, amount: parseMoney(event.data.amount), transactionId: event.data.transactionId ?? null };
  }

  /** Makes the next `count` notifications the sandbox sends by itself (auto-confirm) get lost on the way, as a provider's sometimes do. */
  loseNextNotifications(count: number): void {
    this.notificationsToLose += count;
  }

  /** Whether the notification it is sending now is lost (one of those `loseNextNotifications` asked for). */
  losesNotification(): boolean {
    if (this.notificationsToLose === 0) return false;
    this.notificationsToLose -= 1;
    return true;
  }

  /** Makes the next `count` refund calls fail, as a bank that rejects them would (after any faults already queued). */
  failNextRefunds(count: number): void {
    for (let i = 0; i < count; i++) this.refundFaults.push({ kind: 'reject' });
  }

  /** Makes the next `count` refund calls time out (after any faults already queued); see SandboxRefundFault. */
  timeOutNextRefunds(count: number, options: { applied: boolean; afterMs?: number }): void {
    for (let i = 0; i < count; i++) this.refundFaults.push({ kind: 'timeout', applied: options.applied, afterMs: options.afterMs ?? 100 });
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const fault = this.refundFaults.shift();
    if (fault?.kind === 'reject') return { ok: false, reason: 'sandbox: the bank rejected the refund' };
    // Idempotent per refund id, as real providers are: asking again never pays twice.
    if (fault?.kind !== 'timeout' || fault.applied) {
      if (!this.refundsSent.some((r) => r.refundId === request.refundId)) this.refundsSent.push({ ...request, amount: formatMoney(request.amount) });
    }
    if (fault?.kind === 'timeout') {
      await new Promise((resolve) => setTimeout(resolve, fault.afterMs));
      throw new SandboxTimeoutError(`sandbox: no answer to refund ${request.refundId} within ${fault.afterMs} ms`);
    }
    return { ok: true };
  }
}
