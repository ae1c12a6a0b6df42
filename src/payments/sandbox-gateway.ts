import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { businessDay } from '../platform/calendar';
import { type Clock, systemClock } from '../platform/clock';
import { AppError, badRequest, unprocessable } from '../platform/http/app-error';
import { parse } from '../platform/http/routes';
import { type Decimal, formatMoney, moneyString, parseMoney, sum } from '../platform/money';
import { signatureHeader, verifySignatureHeader } from '../platform/signature';
import type {
  Checkout,
  CheckoutChannel,
  CheckoutRequest,
  GatewayEvent,
  NotificationAnswer,
  NotificationResult,
  PaymentGateway,
  PaymentQueryResult,
  RefundRequest,
  RefundResult,
  StatementLine,
} from './gateway';

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY')
  .default('CNY');
/** A sandbox notification's body, as a provider's would be (the API description shows it too). */
export const SANDBOX_EVENT_BODY = z.discriminatedUnion('type', [
  z
    .strictObject({
      id: z.string().min(1).max(100),
      type: z.enum(['payment.succeeded', 'payment.failed']),
      paymentId: z.uuid(),
      amount: moneyString,
      currency,
      transactionId: z.string().min(1).max(64).optional(),
    })
    .refine((e) => e.type !== 'payment.succeeded' || e.transactionId !== undefined, {
      path: ['transactionId'],
      message: 'is required when money was taken',
    }),
  z.strictObject({
    id: z.string().min(1).max(100),
    type: z.enum(['refund.succeeded', 'refund.failed']),
    refundId: z.uuid(),
    paymentId: z.uuid(),
    amount: moneyString,
    currency,
  }),
]);

/**
 * A fault the sandbox plays on one refund call, as a real provider sometimes does (sandbox only):
 * - `reject`: the bank refuses the refund; the answer says so (`rejected`). With `final`, for good: the refund job does
 *   not send it again (an operator may: the sandbox plays each fault on one call only).
 * - `processing`: the provider accepts the refund and finishes it later (finishRefunds); until then it
 *   answers `processing`, to the call and to queries.
 * - `timeout`: no answer comes back in time; the adapter gives up after `afterMs` and throws
 *   SandboxTimeoutError, as a real adapter's HTTP client would. With `applied` the provider had made
 *   the refund before the answer was lost: the retry (same refund id) finds it done and pays nothing twice.
 */
export type SandboxRefundFault = { kind: 'reject'; final?: boolean } | { kind: 'processing' } | { kind: 'timeout'; applied: boolean; afterMs: number };

/** A refund call that got no answer in time: whether the provider made the refund is unknown to the caller. */
export class SandboxTimeoutError extends Error {
  override name = 'SandboxTimeoutError';
}

/** Money the sandbox took: one transaction. */
interface Taken {
  paymentId: string;
  transactionId: string;
  amount: Decimal;
  currency: string;
  at: Date;
}

/** A refund the sandbox paid out, as a bank statement would show it. */
interface SentRefund {
  refundId: string;
  paymentId: string;
  transactionId: string | null;
  amount: string;
  currency: string;
  reason: string;
  at: Date;
}

/**
 * A simulated WeChat Pay / Alipay: it signs notifications like a real provider (HMAC-SHA256 over
 * "<unix seconds>.<raw body>", header `X-Sandbox-Signature: t=…,v1=…`), keeps its own record of the
 * money it took and gave back (which its queries and its daily statement answer from), and its refunds
 * can be told to fail, time out or take a while. It is the one part of the system that tests simulate.
 * Its notifications are sent by whoever plays the provider (a test, or auto-confirm), so late,
 * repeated or out-of-order delivery needs no setting: the caller delivers them so. Its checkout is the
 * storefront's sandbox sheet, offered when the installation has it on (SANDBOX_CHECKOUT).
 */
export class SandboxGateway implements PaymentGateway {
  readonly name: string;
  readonly channels: readonly CheckoutChannel[];
  /** Faults for the next refund calls, first first. */
  private readonly refundFaults: SandboxRefundFault[] = [];
  /** Orders a checkout was created for, by payment id: until when they can be paid. */
  private readonly orders = new Map<string, { expiresAt: Date }>();
  /** Every transaction: money taken, by transaction id. */
  private readonly taken = new Map<string, Taken>();
  /** The first money taken for each payment, by payment id: what a query of the payment answers. */
  private readonly takenByPayment = new Map<string, Taken>();
  /** Payments the consumer's bank declined, with the amount asked. */
  private readonly declined = new Map<string, { amount: Decimal; currency: string }>();
  /** Every refund the sandbox paid out, as a bank statement would show it. */
  readonly refundsSent: SentRefund[] = [];
  private readonly refundIdsSent = new Set<string>();
  /** Refunds accepted and not finished yet, and those that ended refused, by refund id. */
  private readonly refundsProcessing = new Map<string, RefundRequest>();
  private readonly refundsRefused = new Set<string>();
  /** Every refund request it was ever sent, by refund id: what its refund notifications carry. */
  private readonly refundRequests = new Map<string, RefundRequest>();

  /** How many of the next notifications it sends by itself (auto-confirm) are lost on the way. */
  private notificationsToLose = 0;

  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds: number,
    private readonly options: { clock: Clock; sheet: boolean; name?: string } = { clock: systemClock, sheet: false },
  ) {
    // A second sandbox under another name plays a second provider (tests).
    this.name = options.name ?? 'sandbox';
    // Its QR code is the sheet's address, to open on a phone.
    this.channels = options.sheet ? ['sheet', 'qr'] : [];
  }

  /** The storefront's sandbox sheet for a payment: the sandbox's checkout. */
  sheet(paymentId: string): Extract<Checkout, { channel: 'sheet' }> {
    return { channel: 'sheet', checkoutUrl: `/pay/${paymentId}` };
  }

  async createPayment(request: CheckoutRequest): Promise<Checkout> {
    if (!this.channels.includes(request.channel))
      throw unprocessable('channel_not_offered', `The sandbox offers no ${request.channel} checkout${this.options.sheet ? '' : ' (its sheet is off)'}.`);
    this.orders.set(request.paymentId, { expiresAt: request.expiresAt });
    const sheet = this.sheet(request.paymentId);
    return request.channel === 'qr' ? { channel: 'qr', qrCode: request.returnUrl ?? sheet.checkoutUrl } : sheet;
  }

  async queryPayment(paymentId: string): Promise<PaymentQueryResult> {
    const money = this.takenByPayment.get(paymentId);
    if (money) return { state: 'paid', event: { id: `query:${money.transactionId}`, type: 'payment.succeeded', ...money } };
    const declined = this.declined.get(paymentId);
    if (declined) return { state: 'failed', event: { id: `query:declined:${paymentId}`, type: 'payment.failed', paymentId, ...declined, transactionId: null } };
    const order = this.orders.get(paymentId);
    if (!order) return { state: 'not_found' };
    return order.expiresAt <= this.options.clock.now() ? { state: 'closed' } : { state: 'pending' };
  }

  /**
   * The notification the sandbox would send for a payment, signed at `at`: the sandbox took that money (or
   * the bank declined it) at `at`. The money taken is one transaction per payment (`txn_<payment id>`), so
   * sending it again reports the same money; a different `transactionId` is a second charge.
   */
  notification(
    payment: { id: string; amount: Decimal },
    outcome: 'succeeded' | 'failed',
    at = this.options.clock.now(),
    options: { transactionId?: string; currency?: string } = {},
  ): { headers: Record<string, string>; body: Buffer } {
    const transactionId = outcome === 'succeeded' ? (options.transactionId ?? `txn_${payment.id}`) : undefined;
    const currency = options.currency ?? 'CNY';
    if (transactionId === undefined) this.declined.set(payment.id, { amount: payment.amount, currency });
    else if (!this.taken.has(transactionId)) this.recordTaken({ paymentId: payment.id, transactionId, amount: payment.amount, currency, at });
    return this.signed({ type: `payment.${outcome}`, paymentId: payment.id, amount: formatMoney(payment.amount), currency, transactionId }, at);
  }

  /** The notification the sandbox sends when a refund it took as `processing` has ended (finishRefunds). */
  refundNotification(refundId: string, at = this.options.clock.now()): { headers: Record<string, string>; body: Buffer } {
    const request = this.refundRequests.get(refundId);
    if (!request) throw new Error(`sandbox: no refund ${refundId}`);
    const paid = this.refundIdsSent.has(refundId);
    return this.signed(
      {
        type: paid ? 'refund.succeeded' : 'refund.failed',
        refundId,
        paymentId: request.paymentId,
        amount: formatMoney(request.amount),
        currency: request.currency,
      },
      at,
    );
  }

  private signed(event: Record<string, unknown>, at: Date): { headers: Record<string, string>; body: Buffer } {
    const body = Buffer.from(JSON.stringify({ id: `evt_${randomUUID()}`, ...event }));
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
    // As a route's body: a 400 listing each bad field with its reason.
    const e = parse(SANDBOX_EVENT_BODY, json, 'body', 'validation_failed') as z.output<typeof SANDBOX_EVENT_BODY>;
    return 'refundId' in e ? { ...e, amount: parseMoney(e.amount) } : { ...e, amount: parseMoney(e.amount), transactionId: e.transactionId ?? null };
  }

  /** Its answer is the API's own: `{ outcome }`, or the problem document of a refusal. */
  acknowledgement(result: NotificationResult): NotificationAnswer {
    return result.accepted
      ? { status: 200, contentType: 'application/json', body: JSON.stringify({ outcome: result.outcome }) }
      : { status: result.error.status, contentType: 'application/problem+json', body: JSON.stringify(result.problem) };
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

  /** Makes the next `count` refund calls fail, as a bank that rejects them would (after any faults already queued); `final`: for good. */
  failNextRefunds(count: number, options: { final?: boolean } = {}): void {
    for (let i = 0; i < count; i++) this.refundFaults.push({ kind: 'reject', final: options.final });
  }

  /** Makes the next `count` refund calls be accepted and left processing (after any faults already queued), until finishRefunds. */
  processNextRefunds(count: number): void {
    for (let i = 0; i < count; i++) this.refundFaults.push({ kind: 'processing' });
  }

  /** Makes the next `count` refund calls time out (after any faults already queued); see SandboxRefundFault. */
  timeOutNextRefunds(count: number, options: { applied: boolean; afterMs?: number }): void {
    for (let i = 0; i < count; i++) this.refundFaults.push({ kind: 'timeout', applied: options.applied, afterMs: options.afterMs ?? 100 });
  }

  /** Forgets the refund faults not yet played (a test's leftovers). */
  clearRefundFaults(): void {
    this.refundFaults.length = 0;
  }

  /** The refunds left processing end now, paid out (or refused); returns their ids, for refundNotification. */
  finishRefunds(outcome: 'succeeded' | 'refused' = 'succeeded'): string[] {
    const ids = [...this.refundsProcessing.keys()];
    for (const [id, request] of this.refundsProcessing) {
      if (outcome === 'succeeded') this.pay(request);
      else this.refundsRefused.add(id);
    }
    this.refundsProcessing.clear();
    return ids;
  }

  private pay(request: RefundRequest): void {
    if (!this.refundIdsSent.has(request.refundId)) {
      this.refundIdsSent.add(request.refundId);
      this.refundsSent.push({ ...request, amount: formatMoney(request.amount), at: this.options.clock.now() });
    }
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    this.refundRequests.set(request.refundId, request);
    // Idempotent per refund id, as real providers are: asking again never pays twice, nor restarts one under way.
    if (this.refundIdsSent.has(request.refundId)) return { outcome: 'succeeded' };
    if (this.refundsProcessing.has(request.refundId)) return { outcome: 'processing' };
    this.refundsRefused.delete(request.refundId);
    const fault = this.refundFaults.shift();
    if (fault?.kind === 'reject')
      return fault.final
        ? { outcome: 'rejected', reason: 'sandbox: the bank rejected the refund for good', final: true }
        : { outcome: 'rejected', reason: 'sandbox: the bank rejected the refund' };
    if (fault?.kind === 'processing') {
      this.refundsProcessing.set(request.refundId, request);
      return { outcome: 'processing' };
    }
    if (fault?.kind !== 'timeout' || fault.applied) this.pay(request);
    if (fault?.kind === 'timeout') {
      await new Promise((resolve) => setTimeout(resolve, fault.afterMs));
      throw new SandboxTimeoutError(`sandbox: no answer to refund ${request.refundId} within ${fault.afterMs} ms`);
    }
    return { outcome: 'succeeded' };
  }

  async queryRefund(refund: { refundId: string; paymentId: string }): Promise<RefundResult | { outcome: 'not_found' }> {
    if (this.refundIdsSent.has(refund.refundId)) return { outcome: 'succeeded' };
    if (this.refundsProcessing.has(refund.refundId)) return { outcome: 'processing' };
    if (this.refundsRefused.has(refund.refundId)) return { outcome: 'rejected', reason: 'sandbox: the bank refused the refund' };
    return { outcome: 'not_found' };
  }

  async statement(day: string): Promise<StatementLine[]> {
    return [
      ...[...this.taken.values()]
        .filter((m) => businessDay(m.at) === day)
        .map((m): StatementLine => ({
          kind: 'payment',
          paymentId: m.paymentId,
          refundId: null,
          transactionId: m.transactionId,
          amount: m.amount,
          currency: m.currency,
          at: m.at,
        })),
      ...this.refundsSent
        .filter((r) => businessDay(r.at) === day)
        .map((r): StatementLine => ({
          kind: 'refund',
          paymentId: r.paymentId,
          refundId: r.refundId,
          transactionId: r.transactionId,
          amount: parseMoney(r.amount),
          currency: r.currency,
          at: r.at,
        })),
    ];
  }

  /** The money it holds for us: taken, less paid back (what its statements add up to). */
  net(): Decimal {
    return sum([...this.taken.values()].map((m) => m.amount)).minus(sum(this.refundsSent.map((r) => parseMoney(r.amount))));
  }

  /** Test support: a line in its statement the sandbox has no notification for (money taken behind our back, or a bill that differs). */
  recordTaken(money: Taken): void {
    this.taken.set(money.transactionId, money);
    if (!this.takenByPayment.has(money.paymentId)) this.takenByPayment.set(money.paymentId, money);
  }
}
