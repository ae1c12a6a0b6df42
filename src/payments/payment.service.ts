import { In } from 'typeorm';
import { z } from 'zod';
import { LEDGER_CURRENCY, accounts, type LedgerService } from '../ledger';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { notFound, unprocessable } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { type Jobs, defineJob } from '../platform/jobs';
import { type Decimal, ZERO, formatMoney, fromFen, toFen } from '../platform/money';
import { GroupCommit } from '../platform/group-commit';
import type { GatewayEvent, PaymentGateway, RefundResult } from './gateway';
import type { SandboxGateway } from './sandbox-gateway';
import { PaymentRow, RefundRow, type PaymentKind, type PaymentStatus, type RefundStatus, type UnexpectedReason } from './payment.entity';

/**
 * What happens when a payment settles or a refund is sent is decided by the module that asked for the
 * payment (pledges for deposits and balances, subscriptions for boxes). It registers here for its kinds,
 * and is called inside the transaction that records the event.
 */
export interface PaymentListener {
  paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow; previousStatus: PaymentRow['status'] }[]): Promise<void>;
  paymentFailed(tx: Tx, payment: PaymentRow): Promise<void>;
  refundSent(tx: Tx, refund: RefundRow & { userId: string }): Promise<void>;
}

/** `unexpected`: the gateway took money we did not ask for; it is recorded and refunded (GET /v1/payments?kind=unexpected). */
export type NotificationOutcome = 'processed' | 'duplicate' | 'already_settled' | 'unexpected';

/** The kinds of payment asked of consumers: a notification can settle only these. */
type AskedKind = Exclude<PaymentKind, 'unexpected'>;

export const SEND_REFUND_JOB = 'payments.send-refund';

export interface NewPayment {
  kind: AskedKind;
  userId: string;
  amount: Decimal;
  pledgeId?: string;
  campaignId?: string;
  boxId?: string;
}

export class PaymentService {
  private readonly listeners = new Map<AskedKind, PaymentListener>();

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

  setListener(kinds: readonly AskedKind[], listener: PaymentListener): void {
    for (const kind of kinds) this.listeners.set(kind, listener);
  }

  private listenerOf(kind: AskedKind): PaymentListener {
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
      Object.assign(new PaymentRow(), {
        id: newId(), provider: 'sandbox', currency: LEDGER_CURRENCY, status: 'pending', createdAt: now, settledAt: null, pledgeId: null, campaignId: null, boxId: null,
        transactionId: null, reportedPaymentId: null, unexpectedReason: null, ...input,
      }),
    );
  }

  async insert(tx: Tx, payments: readonly PaymentRow[]): Promise<void> {
    await this.deps.db.insertRows(
      tx,
      'payments',
      payments.map((p) => ({
        id: p.id, kind: p.kind, provider: p.provider, pledge_id: p.pledgeId, campaign_id: p.campaignId, box_id: p.boxId, user_id: p.userId, amount_fen: toFen(p.amount), currency: p.currency,
        status: p.status, created_at: p.createdAt, settled_at: p.settledAt, transaction_id: p.transactionId, reported_payment_id: p.reportedPaymentId, unexpected_reason: p.unexpectedReason,
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
      // A replayed event id breaks the unique key: that is the duplicate answer. So does money already
      // recorded under its transaction id (ux_payments_transaction), reported again under a new event id.
      await this.deps.db.insertRows(tx, 'gateway_events', events.map((e) => ({ id: `${provider}:${e.id}`, payment_id: e.paymentId, type: e.type, received_at: now })));
      const ids = events.map((e) => e.paymentId);
      if (new Set(ids).size !== ids.length) throw new Error('two notifications of one payment in one batch');
      const payments = new Map((await tx.find(PaymentRow, { where: { id: In(ids) }, lock: this.deps.db.rowLock() })).map((p) => [p.id, p]));
      const outcomes: NotificationOutcome[] = [];
      const succeeded: { payment: PaymentRow & { kind: AskedKind }; previousStatus: PaymentStatus; transactionId: string | null }[] = [];
      const failed: (PaymentRow & { kind: AskedKind })[] = [];
      const unexpected: { event: GatewayEvent; asked: PaymentRow | undefined; reason: UnexpectedReason }[] = [];
      for (const event of events) {
        const found = payments.get(event.paymentId);
        const asked = found && found.provider === provider && found.kind !== 'unexpected' ? (found as PaymentRow & { kind: AskedKind }) : undefined;
        const reason = unexpectedReason(asked, event);
        if (reason) {
          // A failure takes no money: one that does not match what we asked for is refused and changes nothing.
          if (event.type === 'payment.failed') throw reason === 'unknown_payment' ? notFound('The payment') : unprocessable(reason, `The notification is for ${event.amount.toFixed(2)} ${event.currency}, the payment is ${asked!.amount.toFixed(2)} ${asked!.currency}.`);
          // Money the gateway took that we did not ask for is never forgotten: recorded, and refunded in full.
          unexpected.push({ event, asked, reason });
          outcomes.push('unexpected');
          continue;
        }
        const payment = asked!;
        // A failure after a success changes nothing, nor does the same money reported again. A success after
        // a failure does (notifications out of order, or the consumer paid on a second try): the money
        // arrived, so it is recorded, and the listener gives it back if nothing wants it any more, as for a
        // payment no longer wanted.
        if (payment.status === 'succeeded' || (payment.status === 'failed' && event.type === 'payment.failed')) {
          outcomes.push('already_settled');
          continue;
        }
        outcomes.push('processed');
        if (event.type === 'payment.succeeded') succeeded.push({ payment, previousStatus: payment.status, transactionId: event.transactionId });
        else if (payment.status === 'pending') failed.push(payment);
      }
      if (succeeded.length > 0) {
        // One UPDATE for the batch; each payment keeps the transaction id of its money.
        const params = Object.fromEntries(succeeded.flatMap((s, i) => [[`p${i}`, s.payment.id], [`t${i}`, s.transactionId]]));
        const transactionIds = `CASE id ${succeeded.map((_, i) => `WHEN :p${i} THEN :t${i}`).join(' ')} END`;
        await tx.createQueryBuilder().update(PaymentRow).set({ status: 'succeeded', settledAt: now, transactionId: () => transactionIds }).where({ id: In(succeeded.map((s) => s.payment.id)) }).setParameters(params).execute();
        for (const { payment, transactionId } of succeeded) Object.assign(payment, { status: 'succeeded', settledAt: now, transactionId });
      }
      if (failed.length > 0) {
        await tx.update(PaymentRow, { id: In(failed.map((p) => p.id)) }, { status: 'failed', settledAt: now });
        for (const payment of failed) Object.assign(payment, { status: 'failed', settledAt: now });
      }
      for (const kind of new Set(succeeded.map((s) => s.payment.kind))) await this.listenerOf(kind).paymentsSucceeded(tx, succeeded.filter((s) => s.payment.kind === kind));
      for (const payment of failed) await this.listenerOf(payment.kind).paymentFailed(tx, payment);
      await this.recordUnexpected(tx, provider, unexpected, now);
      return outcomes;
    });
  }

  /**
   * Money the gateway took that we did not ask for: kept as a payment of kind `unexpected` (for the
   * consumer and the pledge or box it was reported against, when we know them), posted to the ledger
   * through unexpected_payments in its own currency, and refunded in full by the refund job. The asked
   * payment, and its pledge or box, stay as they were: this money paid for nothing.
   */
  private async recordUnexpected(tx: Tx, provider: string, items: readonly { event: GatewayEvent; asked: PaymentRow | undefined; reason: UnexpectedReason }[], now: Date): Promise<void> {
    if (items.length === 0) return;
    const rows = items.map(({ event, asked, reason }) =>
      Object.assign(new PaymentRow(), {
        id: newId(), kind: 'unexpected', provider, pledgeId: asked?.pledgeId ?? null, campaignId: asked?.campaignId ?? null, boxId: asked?.boxId ?? null, userId: asked?.userId ?? null,
        amount: event.amount, currency: event.currency, status: 'succeeded', createdAt: now, settledAt: now, transactionId: event.transactionId, reportedPaymentId: event.paymentId, unexpectedReason: reason,
      }),
    );
    await this.insert(tx, rows);
    await this.deps.ledger.postMany(
      tx,
      rows.flatMap((row) => {
        const refs = { paymentId: row.id, pledgeId: row.pledgeId, campaignId: row.campaignId, boxId: row.boxId };
        const account = (name: string) => accounts.inCurrency(name, row.currency);
        return [
          { kind: 'unexpected_payment_received', refs, lines: [{ account: account(accounts.gateway), amount: row.amount }, { account: account(accounts.unexpectedPayments), amount: row.amount.negated() }] },
          { kind: 'unexpected_payment_refunded', refs, lines: [{ account: account(accounts.unexpectedPayments), amount: row.amount }, { account: account(accounts.refundsPending), amount: row.amount.negated() }] },
        ] as const;
      }),
    );
    for (const row of rows) await this.requestRefund(tx, { payment: row, amount: row.amount, reason: 'unexpected_payment' });
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
      .refund({ refundId: refund.id, paymentId: payment.reportedPaymentId ?? payment.id, transactionId: payment.transactionId, amount: refund.amount, currency: payment.currency })
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
        lines: [{ account: accounts.inCurrency(accounts.refundsPending, payment.currency), amount: refund.amount }, { account: accounts.inCurrency(accounts.gateway, payment.currency), amount: refund.amount.negated() }],
      });
      await this.refundSent(tx, payment, { ...refund, status: 'succeeded' });
    });
    if (!result.ok) throw new Error(`refund ${refund.id} failed: ${result.reason}`);
  }

  /** The consumer is told, by the module of the payment (for money we did not ask for: of the payment it was reported against); nobody, when we do not know who paid. */
  private async refundSent(tx: Tx, payment: PaymentRow, refund: RefundRow): Promise<void> {
    const { userId } = refund;
    if (userId === null) return;
    const asked = payment.kind === 'unexpected' ? await tx.findOneBy(PaymentRow, { id: payment.reportedPaymentId! }) : payment;
    if (asked && asked.kind !== 'unexpected') await this.listenerOf(asked.kind).refundSent(tx, { ...refund, userId });
  }

  async list(page: { limit: number; offset: number }, where: { kind?: PaymentKind; status?: PaymentStatus }): Promise<{ items: PaymentRow[]; total: number }> {
    const filter = Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined));
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(PaymentRow, { where: filter, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }));
    return { items, total };
  }

  async listRefunds(page: { limit: number; offset: number }, status?: RefundStatus): Promise<{ items: RefundRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(RefundRow, { where: status ? { status } : {}, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /** Sums for the reconcile command, per currency, straight from the payment and refund records. */
  async totals(tx: Tx): Promise<Map<string, { received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }>> {
    const sums = async (query: Promise<{ currency: string; fen: string | number }[]>) => new Map((await query).map((r) => [r.currency, fromFen(String(r.fen))]));
    const refunds = (status: string) =>
      tx.createQueryBuilder(RefundRow, 'r').innerJoin(PaymentRow, 'p', 'p.id = r.payment_id').select('p.currency', 'currency').addSelect('SUM(r.amount_fen)', 'fen').where(status).groupBy('p.currency').getRawMany();
    const received = await sums(tx.createQueryBuilder(PaymentRow, 'p').select('p.currency', 'currency').addSelect('SUM(p.amount_fen)', 'fen').where("p.status = 'succeeded'").groupBy('p.currency').getRawMany());
    const refunded = await sums(refunds("r.status = 'succeeded'"));
    const outstanding = await sums(refunds("r.status <> 'succeeded'"));
    const currencies = new Set([LEDGER_CURRENCY, ...received.keys(), ...refunded.keys(), ...outstanding.keys()]);
    return new Map([...currencies].map((c) => [c, { received: received.get(c) ?? ZERO, refunded: refunded.get(c) ?? ZERO, refundsOutstanding: outstanding.get(c) ?? ZERO }]));
  }

  /** Money we did not ask for that is not refunded in full, exactly once (its refund decided at once, sent by the job). */
  async violations(tx: Tx): Promise<string[]> {
    const rows = await tx
      .createQueryBuilder(PaymentRow, 'p')
      .leftJoin(RefundRow, 'r', 'r.payment_id = p.id')
      .select('p.id', 'id')
      .addSelect('p.amount_fen', 'amount')
      .addSelect('COALESCE(SUM(r.amount_fen), 0)', 'refunded')
      .where("p.kind = 'unexpected'")
      .groupBy('p.id')
      .addGroupBy('p.amount_fen')
      .having('COALESCE(SUM(r.amount_fen), 0) <> p.amount_fen')
      .getRawMany<{ id: string; amount: string | number; refunded: string | number }>();
    return rows.map((r) => `unexpected payment ${r.id} of ${formatMoney(fromFen(String(r.amount)))} has ${formatMoney(fromFen(String(r.refunded)))} refunded or being refunded`);
  }

}

/** Why money a notification reports is not the money we asked for; undefined when it is. */
function unexpectedReason(asked: PaymentRow | undefined, event: GatewayEvent): UnexpectedReason | undefined {
  if (!asked) return 'unknown_payment';
  if (event.currency !== asked.currency) return 'currency_mismatch';
  if (!event.amount.equals(asked.amount)) return 'amount_mismatch';
  // The payment taken again, under another transaction of the gateway: a second charge.
  if (event.type === 'payment.succeeded' && asked.status === 'succeeded' && asked.transactionId !== null && event.transactionId !== asked.transactionId) return 'second_charge';
  return undefined;
}
