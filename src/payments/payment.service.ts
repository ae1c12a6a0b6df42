import { In } from 'typeorm';
import { z } from 'zod';
import { accounts, type LedgerService } from '../ledger';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { notFound, unprocessable } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { type Jobs, defineJob } from '../platform/jobs';
import { type Decimal, fromFen, toFen } from '../platform/money';
import { GroupCommit } from '../platform/group-commit';
import type { GatewayEvent, PaymentGateway, RefundResult } from './gateway';
import type { SandboxGateway } from './sandbox-gateway';
import { PaymentRow, RefundRow, type PaymentKind, type RefundStatus } from './payment.entity';

/**
 * What happens when a payment settles or a refund is sent is decided by the module that asked for the
 * payment (pledges for deposits and balances, subscriptions for boxes). It registers here for its kinds,
 * and is called inside the transaction that records the event.
 */
export interface PaymentListener {
  paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow; previousStatus: PaymentRow['status'] }[]): Promise<void>;
  paymentFailed(tx: Tx, payment: PaymentRow): Promise<void>;
  refundSent(tx: Tx, refund: RefundRow): Promise<void>;
}

export type NotificationOutcome = 'processed' | 'duplicate' | 'already_settled';

export const SEND_REFUND_JOB = 'payments.send-refund';

export interface NewPayment {
  kind: PaymentKind;
  userId: string;
  amount: Decimal;
  pledgeId?: string;
  campaignId?: string;
  boxId?: string;
}

export class PaymentService {
  private readonly listeners = new Map<PaymentKind, PaymentListener>();

  constructor(
    private readonly deps: {
      db: Database;
      jobs: Jobs;
      ledger: LedgerService;
      clock: Clock;
      gateways: Map<string, PaymentGateway>;
      /** Confirms every payment automatically, as this sandbox gateway, through the notification path (demo and benchmarks). */
      autoConfirm?: SandboxGateway;
      onBackgroundError?: (error: unknown) => void;
    },
  ) {
    deps.jobs.register(
      defineJob({
        name: SEND_REFUND_JOB,
        payload: z.strictObject({ refundId: z.string() }),
        // A refund is retried until the gateway accepts it: the consumer's money must come back.
        maxRetries: 50,
        handle: async ({ refundId }) => this.sendRefund(refundId),
      }),
    );
  }

  setListener(kinds: readonly PaymentKind[], listener: PaymentListener): void {
    for (const kind of kinds) this.listeners.set(kind, listener);
  }

  private listenerOf(kind: PaymentKind): PaymentListener {
    const listener = this.listeners.get(kind);
    if (!listener) throw new Error(`no module listens to ${kind} payments`);
    return listener;
  }

  /** Payments the consumer is asked to make, created inside the caller's transaction with one INSERT. */
  async create(tx: Tx, inputs: readonly NewPayment[]): Promise<PaymentRow[]> {
    const payments = this.newPayments(inputs);
    await this.insert(tx, payments);
    return payments;
  }

  /** The same in two steps, for a caller that needs the payments' ids before it writes anything. */
  newPayments(inputs: readonly NewPayment[]): PaymentRow[] {
    const now = this.deps.clock.now();
    return inputs.map((input) =>
      Object.assign(new PaymentRow(), { id: newId(), provider: 'sandbox', status: 'pending', createdAt: now, settledAt: null, pledgeId: null, campaignId: null, boxId: null, ...input }),
    );
  }

  async insert(tx: Tx, payments: readonly PaymentRow[]): Promise<void> {
    await this.deps.db.insertRows(
      tx,
      'payments',
      payments.map((p) => ({
        id: p.id, kind: p.kind, provider: p.provider, pledge_id: p.pledgeId, campaign_id: p.campaignId, box_id: p.boxId, user_id: p.userId, amount_fen: toFen(p.amount), status: p.status, created_at: p.createdAt, settled_at: null,
      })),
    );
  }

  /**
   * Call once the transaction that created the payment has committed. With auto-confirm on, the
   * sandbox then "pays" and sends its signed notification, as the consumer's wallet and the gateway
   * would a moment later; like a real gateway's, it may never arrive (the process stops first), and
   * then the pledge simply expires.
   */
  created(payment: PaymentRow): void {
    const sandbox = this.deps.autoConfirm;
    if (!sandbox) return;
    setImmediate(() => {
      const signed = sandbox.notification(payment, 'succeeded', this.deps.clock.now());
      this.handleNotification(sandbox.name, signed.headers, signed.body).catch((error: unknown) => this.deps.onBackgroundError?.(error));
    });
  }

  /** The consumer no longer owes this payment (the pledge expired or was cancelled). A success that still arrives is refunded. */
  async cancel(tx: Tx, paymentId: string): Promise<void> {
    await tx.update(PaymentRow, { id: paymentId, status: 'pending' }, { status: 'cancelled', settledAt: this.deps.clock.now() });
  }

  async find(tx: Tx, paymentId: string): Promise<PaymentRow | null> {
    return tx.findOneBy(PaymentRow, { id: paymentId });
  }

  async get(actor: Principal, paymentId: string): Promise<PaymentRow> {
    const payment = await this.deps.db.read((tx) => tx.findOneBy(PaymentRow, { id: paymentId }));
    if (!payment || (actor.role !== 'operator' && !(actor.role === 'consumer' && actor.userId === payment.userId))) throw notFound('The payment');
    return payment;
  }

  /**
   * A notification from a gateway: verified, de-duplicated by event id, and recorded in one transaction
   * with everything it causes. Replays and duplicates change nothing. Notifications arriving together
   * share one transaction (group commit): a burst of confirmations would otherwise queue on the
   * campaign's running totals, one commit at a time.
   */
  async handleNotification(provider: string, headers: Record<string, string | undefined>, rawBody: Buffer): Promise<NotificationOutcome> {
    const gateway = this.deps.gateways.get(provider);
    if (!gateway) throw notFound(`The payment provider "${provider}"`);
    const event = gateway.verifyNotification(headers, rawBody, this.deps.clock.now());
    return this.notifications.submit(provider, event);
  }

  private readonly notifications = new GroupCommit<GatewayEvent, NotificationOutcome>(
    (provider, events) => this.recordNotifications(provider, events),
    async (provider, event) => {
      try {
        return (await this.recordNotifications(provider, [event]))[0];
      } catch (error) {
        if (isUniqueViolation(error)) return 'duplicate';
        throw error;
      }
    },
  );

  /** Verified notifications of one provider, in one transaction; throws (and each is then recorded alone) on anything unusual. */
  private recordNotifications(provider: string, events: readonly GatewayEvent[]): Promise<NotificationOutcome[]> {
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      // A replayed event id breaks the unique key: that is the duplicate answer.
      await this.deps.db.insertRows(tx, 'gateway_events', events.map((e) => ({ id: `${provider}:${e.id}`, payment_id: e.paymentId, type: e.type, received_at: now })));
      const ids = events.map((e) => e.paymentId);
      if (new Set(ids).size !== ids.length) throw new Error('two notifications of one payment in one batch');
      const payments = new Map((await tx.find(PaymentRow, { where: { id: In(ids) }, lock: this.deps.db.rowLock() })).map((p) => [p.id, p]));
      const outcomes: NotificationOutcome[] = [];
      const succeeded: { payment: PaymentRow; previousStatus: PaymentRow['status'] }[] = [];
      const failed: PaymentRow[] = [];
      for (const event of events) {
        const payment = payments.get(event.paymentId);
        if (!payment || payment.provider !== provider) throw notFound('The payment');
        if (!payment.amount.equals(event.amount)) throw unprocessable('amount_mismatch', `The notification is for ${event.amount.toFixed(2)}, the payment is ${payment.amount.toFixed(2)}.`);
        // A failure after a success changes nothing. A success after a failure does (notifications out of
        // order, or the consumer paid on a second try): the money arrived, so it is recorded, and the
        // listener gives it back if nothing wants it any more, as for a payment no longer wanted.
        if (payment.status === 'succeeded' || (payment.status === 'failed' && event.type === 'payment.failed')) {
          outcomes.push('already_settled');
          continue;
        }
        outcomes.push('processed');
        if (event.type === 'payment.succeeded') succeeded.push({ payment, previousStatus: payment.status });
        else if (payment.status === 'pending') failed.push(payment);
      }
      for (const [status, settled] of [['succeeded', succeeded.map((s) => s.payment)], ['failed', failed]] as const) {
        if (settled.length === 0) continue;
        await tx.update(PaymentRow, { id: In(settled.map((p) => p.id)) }, { status, settledAt: now });
        for (const payment of settled) Object.assign(payment, { status, settledAt: now });
      }
      for (const kind of new Set(succeeded.map((s) => s.payment.kind))) await this.listenerOf(kind).paymentsSucceeded(tx, succeeded.filter((s) => s.payment.kind === kind));
      for (const payment of failed) await this.listenerOf(payment.kind).paymentFailed(tx, payment);
      return outcomes;
    });
  }

  /**
   * Decides to give money back, inside the caller's transaction (which also posts the ledger entry
   * moving the amount to refunds_pending). A job sends it to the gateway after commit, retrying until it goes.
   */
  async requestRefund(tx: Tx, input: { payment: PaymentRow; amount: Decimal; reason: string }): Promise<RefundRow> {
    const { payment } = input;
    const refund = Object.assign(new RefundRow(), {
      id: newId(), paymentId: payment.id, pledgeId: payment.pledgeId, campaignId: payment.campaignId, userId: payment.userId,
      amount: input.amount, reason: input.reason, status: 'pending', attempts: 0, lastError: null, createdAt: this.deps.clock.now(), succeededAt: null,
    });
    await tx.insert(RefundRow, refund);
    await this.deps.jobs.enqueue(tx, SEND_REFUND_JOB, { refundId: refund.id }, { key: refund.id });
    return refund;
  }

  /** The refund job: one call to the gateway, outside any transaction, then the outcome recorded. */
  async sendRefund(refundId: string): Promise<void> {
    const refund = await this.deps.db.read((tx) => tx.findOneBy(RefundRow, { id: refundId }));
    if (!refund || refund.status === 'succeeded') return;
    const payment = await this.deps.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: refund.paymentId }));
    const result = await this.deps.gateways
      .get(payment.provider)!
      .refund({ refundId: refund.id, paymentId: payment.id, amount: refund.amount })
      // No answer (a timeout, a broken connection): the provider may or may not have paid. It counts as a
      // failed attempt, on record for operators, and is asked again with the same refund id, which the
      // provider never pays twice.
      .catch((error: unknown): RefundResult => ({ ok: false, reason: `no answer from the gateway: ${error instanceof Error ? error.message : String(error)}` }));
    await this.deps.db.transaction(async (tx) => {
      if (!result.ok) {
        await tx.update(RefundRow, { id: refund.id, status: In(['pending', 'failed'] as RefundStatus[]) }, { status: 'failed', attempts: refund.attempts + 1, lastError: result.reason.slice(0, 255) });
        return;
      }
      const done = await tx.update(RefundRow, { id: refund.id, status: In(['pending', 'failed'] as RefundStatus[]) }, { status: 'succeeded', attempts: refund.attempts + 1, lastError: null, succeededAt: this.deps.clock.now() });
      if (!done.affected) return;
      await this.deps.ledger.post(tx, {
        kind: 'payment_refund_sent',
        refs: { campaignId: refund.campaignId ?? undefined, pledgeId: refund.pledgeId ?? undefined, boxId: payment.boxId ?? undefined, paymentId: refund.paymentId, refundId: refund.id },
        lines: [{ account: accounts.refundsPending, amount: refund.amount }, { account: accounts.gateway, amount: refund.amount.negated() }],
      });
      await this.listenerOf(payment.kind).refundSent(tx, { ...refund, status: 'succeeded' });
    });
    if (!result.ok) throw new Error(`refund ${refund.id} failed: ${result.reason}`);
  }

  async listRefunds(page: { limit: number; offset: number }, status?: RefundStatus): Promise<{ items: RefundRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(RefundRow, { where: status ? { status } : {}, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /** Sums for the reconcile command, straight from the payment and refund records. */
  async totals(tx: Tx): Promise<{ received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }> {
    const total = async (query: Promise<{ fen: string | number | null } | undefined>) => fromFen(String((await query)?.fen ?? 0));
    return {
      received: await total(tx.createQueryBuilder(PaymentRow, 'p').select('SUM(p.amount_fen)', 'fen').where("p.status = 'succeeded'").getRawOne()),
      refunded: await total(tx.createQueryBuilder(RefundRow, 'r').select('SUM(r.amount_fen)', 'fen').where("r.status = 'succeeded'").getRawOne()),
      refundsOutstanding: await total(tx.createQueryBuilder(RefundRow, 'r').select('SUM(r.amount_fen)', 'fen').where("r.status <> 'succeeded'").getRawOne()),
    };
  }
}

