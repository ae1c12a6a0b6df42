import { In, LessThanOrEqual } from 'typeorm';
import { LEDGER_CURRENCY, accounts, type LedgerService } from '../ledger';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { badRequest, conflict, notFound, unprocessable } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { type Decimal, ZERO, formatMoney, fromFen } from '../platform/money';
import { GroupCommit } from '../platform/group-commit';
import type { Checkout, CheckoutChannel, GatewayEvent, NotificationOutcome, PaymentEvent, PaymentGateway, RefundEvent, RefundResult } from './gateway';
import type { SandboxGateway } from './sandbox-gateway';
import {
  GatewayEventRow,
  PaymentCheckoutRow,
  PaymentRow,
  RefundRow,
  type PaymentKind,
  type PaymentStatus,
  type RefundStatus,
  type UnexpectedReason,
} from './payment.entity';

/**
 * What happens when a payment settles or a refund is sent is decided by the module that asked for the
 * payment (pledges for deposits and balances, subscriptions for boxes). It registers here for its kinds,
 * and is called inside the transaction that records the event.
 */
export interface PaymentListener {
  paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow; previousStatus: PaymentRow['status'] }[]): Promise<void>;
  paymentFailed(tx: Tx, payment: PaymentRow): Promise<void>;
  /** Refunds of this module's payments that the gateway has paid out, to tell their consumers (recorded together, a batch at a time). */
  refundsSent(tx: Tx, refunds: readonly (RefundRow & { userId: string })[]): Promise<void>;
  /** What the consumer sees at a provider's checkout for this payment, and until when it can be paid; null when it no longer can. */
  checkoutTerms(tx: Tx, payment: PaymentRow): Promise<{ description: string; expiresAt: Date } | null>;
}

/** A consumer's choice of how to pay (POST /v1/payments/:id/checkout). */
export interface CheckoutChoice {
  provider: string;
  channel: CheckoutChannel;
  openid?: string;
  returnUrl?: string;
  /** The consumer's address as the app sees it (behind the trusted proxies). */
  clientIp?: string;
}

export type { NotificationOutcome };

/** The kinds of payment asked of consumers: a notification can settle only these. */
type AskedKind = Exclude<PaymentKind, 'unexpected'>;

export const SEND_REFUND_JOB = 'payments.send-refund';
export const SANDBOX_CONFIRM_JOB = 'payments.sandbox-confirm';
/** When auto-confirm's job delivers a confirmation that the first, immediate attempt did not. */
const SANDBOX_CONFIRM_RETRY_MS = 5000;
/** Refund calls one job run has open with the gateway at once. */
const REFUND_CALLS_AT_ONCE = 10;

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
      /** The provider a new payment is asked at until a checkout elsewhere, or money from elsewhere, says otherwise; default the sandbox. */
      defaultProvider?: string;
      /** How long after a checkout a payment still pending is first asked about at its providers (a notification can be lost). */
      queryAfterMs: number;
      /** A refund still pending or processing this long after it was decided is stuck (operators see it, and may send it again); default an hour. */
      refundStuckAfterMs?: number;
      /** Confirms payments of these kinds automatically, as this sandbox gateway, through the notification path (demo and benchmarks). */
      autoConfirm?: { gateway: SandboxGateway; kinds: readonly AskedKind[] };
      /** An immediate auto-confirm attempt failed (its job delivers it again): a warning, not an error. */
      onBackgroundError?: (error: unknown) => void;
    },
  ) {}

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
        id: newId(),
        provider: this.deps.defaultProvider ?? 'sandbox',
        currency: LEDGER_CURRENCY,
        status: 'pending',
        createdAt: now,
        settledAt: null,
        nextQueryAt: null,
        statementDay: null,
        pledgeId: null,
        campaignId: null,
        boxId: null,
        transactionId: null,
        payer: null,
        reportedPaymentId: null,
        unexpectedReason: null,
        ...input,
      }),
    );
  }

  async insert(tx: Tx, payments: readonly PaymentRow[]): Promise<void> {
    const confirmed = payments.filter((p) => this.autoConfirms(p));
    if (confirmed.length > 0) {
      // Auto-confirm's own retry, in the payment's transaction: if the immediate attempt (see created) is
      // lost, fails or dies with the process, this job confirms the payment a few seconds on.
      const runAt = new Date(this.deps.clock.now().getTime() + SANDBOX_CONFIRM_RETRY_MS);
      await this.deps.jobs.enqueueMany(
        tx,
        SANDBOX_CONFIRM_JOB,
        confirmed.map((p) => ({ payload: { paymentId: p.id }, runAt, key: p.id })),
      );
    }
    await this.deps.db.insertEntities(tx, PaymentRow, payments);
  }

  /**
   * Call once the transaction that created the payment has committed. With auto-confirm on, the
   * sandbox then "pays" and sends its signed notification, as the consumer's wallet and the gateway
   * would a moment later. Like a real provider, it sends it again until it is taken: if this first
   * attempt fails, or the process stops first, the payment's sandbox-confirm job delivers it.
   */
  created(payment: PaymentRow): void {
    if (!this.autoConfirms(payment)) return;
    setImmediate(() => {
      this.autoConfirm(payment).catch((error: unknown) => this.deps.onBackgroundError?.(error));
    });
  }

  /** Whether the sandbox pays this payment by itself: never money we did not ask for, and only the kinds it is set to. */
  private autoConfirms(payment: Pick<PaymentRow, 'kind'>): boolean {
    return this.deps.autoConfirm !== undefined && payment.kind !== 'unexpected' && this.deps.autoConfirm.kinds.includes(payment.kind);
  }

  private async autoConfirm(payment: Pick<PaymentRow, 'id' | 'amount'>): Promise<void> {
    const sandbox = this.deps.autoConfirm!.gateway;
    // The sandbox took the money either way: a lost notification leaves it to the query job to find.
    const signed = sandbox.notification(payment, 'succeeded', this.deps.clock.now());
    if (sandbox.losesNotification()) throw new Error(`sandbox: the notification of payment ${payment.id} was lost on the way`);
    await this.handleNotification(sandbox.name, signed.headers, signed.body);
  }

  /** The sandbox-confirm job: the payments still pending are confirmed now; returns each one's error, or undefined. */
  async autoConfirmPending(paymentIds: readonly string[]): Promise<(Error | undefined)[]> {
    // Auto-confirm switched off since the payment was made: nothing plays the provider any more.
    if (!this.deps.autoConfirm) return paymentIds.map(() => undefined);
    // A kind it no longer confirms (the checkout sheet switched on since) is left to the person paying.
    const pending = (await this.deps.db.read((tx) => tx.findBy(PaymentRow, { id: In([...paymentIds]), status: 'pending' }))).filter((p) =>
      this.autoConfirms(p),
    );
    const errors = new Map<string, Error>();
    // Together: the notifications share transactions (group commit), as a burst from the provider would.
    await Promise.all(
      pending.map((payment) =>
        this.autoConfirm(payment).catch((error: unknown) => void errors.set(payment.id, error instanceof Error ? error : new Error(String(error)))),
      ),
    );
    return paymentIds.map((id) => errors.get(id));
  }

  /** The consumer no longer owes this payment (the pledge expired or was cancelled). A success that still arrives is refunded. */
  async cancel(tx: Tx, paymentIds: string | readonly string[]): Promise<void> {
    const ids = typeof paymentIds === 'string' ? [paymentIds] : [...paymentIds];
    if (ids.length === 0) return;
    await tx.update(PaymentRow, { id: In(ids), status: 'pending' }, { status: 'cancelled', settledAt: this.deps.clock.now() });
  }

  async find(tx: Tx, paymentId: string): Promise<PaymentRow | null> {
    return tx.findOneBy(PaymentRow, { id: paymentId });
  }

  async get(actor: Principal, paymentId: string): Promise<PaymentRow> {
    const payment = await this.deps.db.read((tx) => tx.findOneBy(PaymentRow, { id: paymentId }));
    if (!payment || (actor.role !== 'operator' && !(actor.role === 'consumer' && actor.userId === payment.userId))) throw notFound('The payment');
    return payment;
  }

  /** The providers a consumer can pay at, and how. */
  providers(): { name: string; channels: readonly CheckoutChannel[] }[] {
    return [...this.deps.gateways.values()].filter((g) => g.channels.length > 0).map((g) => ({ name: g.name, channels: g.channels }));
  }

  /**
   * The consumer's own pending payment, offered at a provider: what the client needs to pay there, valid
   * until the payment's own deadline. The checkout is recorded before the provider is asked, so the money
   * of any provider the consumer was sent to is the payment asked for, whichever they end up paying at;
   * the payment is now at this provider (a failure only it reports fails the payment). Asking again asks
   * the provider again for the same order (its number is the payment id).
   */
  async checkout(
    consumer: Principal & { role: 'consumer' },
    paymentId: string,
    choice: CheckoutChoice,
  ): Promise<{ payment: PaymentRow; checkout: Checkout; provider: string; expiresAt: Date }> {
    const gateway = this.deps.gateways.get(choice.provider);
    if (!gateway || !gateway.channels.includes(choice.channel))
      throw unprocessable('checkout_not_offered', `There is no ${choice.channel} checkout at "${choice.provider}" (GET /v1/payments/providers lists them).`);
    const now = this.deps.clock.now();
    const { payment, terms } = await this.deps.db.transaction(async (tx) => {
      // Locked, as a notification locks it: a payment settling at another provider meanwhile is seen settled here,
      // and this checkout cannot then move it to its provider (its refunds would go where the money never was).
      const payment = await tx.findOne(PaymentRow, { where: { id: paymentId }, lock: this.deps.db.rowLock() });
      if (!payment || payment.userId !== consumer.userId || payment.kind === 'unexpected') throw notFound('The payment');
      if (payment.status !== 'pending') throw conflict('payment_not_pending', `This payment is ${payment.status}: there is nothing to pay.`);
      const terms = await this.listenerOf(payment.kind).checkoutTerms(tx, payment);
      if (!terms || terms.expiresAt <= now) throw conflict('payment_not_payable', 'This payment can no longer be paid: its time is up.');
      await tx.update(PaymentRow, { id: paymentId }, { provider: gateway.name });
      await tx.insert(
        PaymentCheckoutRow,
        Object.assign(new PaymentCheckoutRow(), {
          id: newId(),
          paymentId,
          provider: gateway.name,
          channel: choice.channel,
          createdAt: now,
          expiresAt: terms.expiresAt,
        }),
      );
      // Asked about a few minutes on, unless it already is sooner.
      const firstQuery = new Date(now.getTime() + this.deps.queryAfterMs);
      await tx
        .createQueryBuilder()
        .update(PaymentRow)
        .set({ nextQueryAt: firstQuery })
        .where('id = :id AND (next_query_at IS NULL OR next_query_at > :firstQuery)', { id: paymentId, firstQuery })
        .execute();
      return { payment: payment as PaymentRow & { kind: AskedKind }, terms };
    });
    const checkout = await gateway.createPayment({
      paymentId,
      description: terms.description,
      amount: payment.amount,
      currency: payment.currency,
      channel: choice.channel,
      expiresAt: terms.expiresAt,
      clientIp: choice.clientIp,
      openid: choice.openid,
      returnUrl: choice.returnUrl,
    });
    return { payment, checkout, provider: gateway.name, expiresAt: terms.expiresAt };
  }

  /**
   * A notification from a gateway: verified, de-duplicated by event id, and recorded in one transaction
   * with everything it causes. Replays and duplicates change nothing. Notifications arriving together
   * share one transaction (group commit): a burst of confirmations would otherwise queue on the
   * campaign's running totals, one commit at a time.
   */
  async handleNotification(provider: string, headers: Record<string, string | undefined>, rawBody: Buffer): Promise<NotificationOutcome> {
    const event = this.gateway(provider).verifyNotification(headers, rawBody, this.deps.clock.now());
    return this.settle(provider, event);
  }

  /** A configured provider, by the name in its notification URL. */
  gateway(provider: string): PaymentGateway {
    const gateway = this.deps.gateways.get(provider);
    if (!gateway) throw notFound(`The payment provider "${provider}"`);
    return gateway;
  }

  /** A verified fact from a provider (its notification, or its answer to a query): recorded through the one path, with the same de-duplication. */
  settle(provider: string, event: GatewayEvent): Promise<NotificationOutcome> {
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
      await this.deps.db.insertEntities(
        tx,
        GatewayEventRow,
        events.map((e) => Object.assign(new GatewayEventRow(), { id: `${provider}:${e.id}`, paymentId: e.paymentId, type: e.type, receivedAt: now })),
      );
      const paymentEvents = events.filter((e): e is PaymentEvent => e.type.startsWith('payment.'));
      const refundEvents = events.filter((e): e is RefundEvent => e.type.startsWith('refund.'));
      const outcomes = new Map<GatewayEvent, NotificationOutcome>();
      for (const [i, outcome] of (await this.recordPaymentEvents(tx, provider, paymentEvents, now)).entries()) outcomes.set(paymentEvents[i], outcome);
      for (const [i, outcome] of (await this.recordRefundEvents(tx, provider, refundEvents, now)).entries()) outcomes.set(refundEvents[i], outcome);
      return events.map((e) => outcomes.get(e)!);
    });
  }

  private async recordPaymentEvents(tx: Tx, provider: string, events: readonly PaymentEvent[], now: Date): Promise<NotificationOutcome[]> {
    if (events.length === 0) return [];
    const ids = events.map((e) => e.paymentId);
    if (new Set(ids).size !== ids.length) throw new Error('two notifications of one payment in one batch');
    const payments = new Map((await tx.find(PaymentRow, { where: { id: In(ids) }, lock: this.deps.db.rowLock() })).map((p) => [p.id, p]));
    const outcomes: NotificationOutcome[] = [];
    const succeeded: { payment: PaymentRow & { kind: AskedKind }; previousStatus: PaymentStatus; transactionId: string | null; payer: string | null }[] = [];
    const failed: (PaymentRow & { kind: AskedKind })[] = [];
    const unexpected: { event: PaymentEvent; asked: PaymentRow | undefined; reason: UnexpectedReason }[] = [];
    // A payment is asked of the provider it is at (its latest checkout's, or the one that took its money),
    // and its money is welcome from any provider it was offered at: the consumer may open a WeChat QR code
    // and then pay with Alipay.
    const elsewhere = [...payments.values()].filter((p) => p.provider !== provider).map((p) => p.id);
    const offeredHere = new Set(
      elsewhere.length === 0 ? [] : (await tx.find(PaymentCheckoutRow, { where: { paymentId: In(elsewhere), provider } })).map((c) => c.paymentId),
    );
    for (const event of events) {
      // Money taken is at least a fen: a success of 0.00 took nothing, and no ledger entry can record it (an
      // entry needs two non-zero lines). Refused as a notification not as documented, changing nothing.
      if (event.type === 'payment.succeeded' && !event.amount.gt(0))
        throw badRequest('validation_failed', `The notification reports ${event.amount.toFixed(2)} ${event.currency} taken: money taken is at least 0.01.`);
      const found = payments.get(event.paymentId);
      if (found && event.type === 'payment.failed' && found.provider !== provider && offeredHere.has(found.id)) {
        // A provider the consumer left for another: its failure (the order closed unpaid) changes nothing.
        outcomes.push('already_settled');
        continue;
      }
      const asked =
        found && found.kind !== 'unexpected' && (found.provider === provider || offeredHere.has(found.id))
          ? (found as PaymentRow & { kind: AskedKind })
          : undefined;
      const reason = unexpectedReason(asked, provider, event);
      if (reason) {
        // A failure takes no money: one that does not match what we asked for is refused and changes nothing.
        if (event.type === 'payment.failed')
          throw reason === 'unknown_payment'
            ? notFound('The payment')
            : unprocessable(
                reason,
                `The notification is for ${event.amount.toFixed(2)} ${event.currency}, the payment is ${asked!.amount.toFixed(2)} ${asked!.currency}.`,
              );
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
      if (event.type === 'payment.succeeded')
        succeeded.push({ payment, previousStatus: payment.status, transactionId: event.transactionId, payer: event.payer ?? null });
      else if (payment.status === 'pending') failed.push(payment);
    }
    if (succeeded.length > 0) {
      // One UPDATE for the batch; each payment keeps the transaction id of its money and who paid it, and is at the provider that took it.
      const params = Object.fromEntries(
        succeeded.flatMap((s, i) => [
          [`p${i}`, s.payment.id],
          [`t${i}`, s.transactionId],
          [`u${i}`, s.payer],
        ]),
      );
      const byPayment = (value: string) => `CASE id ${succeeded.map((_, i) => `WHEN :p${i} THEN :${value}${i}`).join(' ')} END`;
      await tx
        .createQueryBuilder()
        .update(PaymentRow)
        .set({ status: 'succeeded', settledAt: now, provider, transactionId: () => byPayment('t'), payer: () => byPayment('u'), nextQueryAt: null })
        .where({ id: In(succeeded.map((s) => s.payment.id)) })
        .setParameters(params)
        .execute();
      // Paid: the query job need not ask about it any more (money another provider also takes shows in its statement).
      for (const { payment, transactionId, payer } of succeeded)
        Object.assign(payment, { status: 'succeeded', settledAt: now, provider, transactionId, payer, nextQueryAt: null });
    }
    if (failed.length > 0) {
      await tx.update(PaymentRow, { id: In(failed.map((p) => p.id)) }, { status: 'failed', settledAt: now });
      for (const payment of failed) Object.assign(payment, { status: 'failed', settledAt: now });
    }
    for (const kind of new Set(succeeded.map((s) => s.payment.kind)))
      await this.listenerOf(kind).paymentsSucceeded(
        tx,
        succeeded.filter((s) => s.payment.kind === kind),
      );
    for (const payment of failed) await this.listenerOf(payment.kind).paymentFailed(tx, payment);
    await this.recordUnexpected(tx, provider, unexpected, now);
    return outcomes;
  }

  /**
   * A refund's end, as the provider reports it: paid out (the ledger moves the money out of
   * refunds_pending now) or refused (sent again by the refund job). A refund already paid out stays so.
   */
  private async recordRefundEvents(tx: Tx, provider: string, events: readonly RefundEvent[], now: Date): Promise<NotificationOutcome[]> {
    if (events.length === 0) return [];
    const ids = events.map((e) => e.refundId);
    if (new Set(ids).size !== ids.length) throw new Error('two notifications of one refund in one batch');
    const refunds = new Map((await tx.find(RefundRow, { where: { id: In(ids) }, lock: this.deps.db.rowLock() })).map((r) => [r.id, r]));
    const payments = new Map((await tx.findBy(PaymentRow, { id: In([...refunds.values()].map((r) => r.paymentId)) })).map((p) => [p.id, p]));
    const outcomes: NotificationOutcome[] = [];
    const paid: RefundRow[] = [];
    const refused: RefundRow[] = [];
    for (const event of events) {
      const refund = refunds.get(event.refundId);
      const payment = refund && payments.get(refund.paymentId);
      // Only the provider the refund was sent to can end it, for the payment it was sent for.
      if (!refund || !payment || payment.provider !== provider || (payment.reportedPaymentId ?? payment.id) !== event.paymentId) throw notFound('The refund');
      if (event.currency !== payment.currency || !event.amount.equals(refund.amount))
        throw unprocessable(
          'amount_mismatch',
          `The notification is for ${event.amount.toFixed(2)} ${event.currency}, the refund is ${refund.amount.toFixed(2)} ${payment.currency}.`,
        );
      // Paid out is final; a refusal is news only for a refund the provider had under way.
      if (refund.status === 'succeeded' || (event.type === 'refund.failed' && refund.status !== 'processing')) {
        outcomes.push('already_settled');
        continue;
      }
      outcomes.push('processed');
      (event.type === 'refund.succeeded' ? paid : refused).push(refund);
    }
    await this.refundsPaid(tx, paid, payments, { attempted: false, now });
    for (const refund of refused) await this.refundRefused(tx, refund, 'the gateway reports the refund failed');
    return outcomes;
  }

  /**
   * Money the gateway took that we did not ask for: kept as a payment of kind `unexpected` (for the
   * consumer and the pledge or box it was reported against, when we know them), posted to the ledger
   * through unexpected_payments in its own currency, and refunded in full by the refund job. The asked
   * payment, and its pledge or box, stay as they were: this money paid for nothing.
   */
  private async recordUnexpected(
    tx: Tx,
    provider: string,
    items: readonly { event: PaymentEvent; asked: PaymentRow | undefined; reason: UnexpectedReason }[],
    now: Date,
  ): Promise<void> {
    if (items.length === 0) return;
    const rows = items.map(({ event, asked, reason }) =>
      Object.assign(new PaymentRow(), {
        id: newId(),
        kind: 'unexpected',
        provider,
        pledgeId: asked?.pledgeId ?? null,
        campaignId: asked?.campaignId ?? null,
        boxId: asked?.boxId ?? null,
        userId: asked?.userId ?? null,
        amount: event.amount,
        currency: event.currency,
        status: 'succeeded',
        createdAt: now,
        settledAt: now,
        nextQueryAt: null,
        statementDay: null,
        transactionId: event.transactionId,
        payer: event.payer ?? null,
        reportedPaymentId: event.paymentId,
        unexpectedReason: reason,
      }),
    );
    await this.insert(tx, rows);
    await this.deps.ledger.postMany(
      tx,
      rows.flatMap((row) => {
        const refs = { paymentId: row.id, pledgeId: row.pledgeId, campaignId: row.campaignId, boxId: row.boxId };
        const account = (name: string) => accounts.inCurrency(name, row.currency);
        return [
          {
            kind: 'unexpected_payment_received',
            refs,
            lines: [
              { account: account(accounts.gateway), amount: row.amount },
              { account: account(accounts.unexpectedPayments), amount: row.amount.negated() },
            ],
          },
          {
            kind: 'unexpected_payment_refunded',
            refs,
            lines: [
              { account: account(accounts.unexpectedPayments), amount: row.amount },
              { account: account(accounts.refundsPending), amount: row.amount.negated() },
            ],
          },
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
      id: newId(),
      paymentId: payment.id,
      pledgeId: payment.pledgeId,
      campaignId: payment.campaignId,
      userId: payment.userId,
      amount: input.amount,
      reason: input.reason,
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: this.deps.clock.now(),
      succeededAt: null,
      nextQueryAt: null,
      statementDay: null,
    });
    await tx.insert(RefundRow, refund);
    await this.deps.jobs.enqueue(tx, SEND_REFUND_JOB, { refundId: refund.id }, { key: refund.id });
    return refund;
  }

  /**
   * The refund job: one call to the gateway per refund (a few at a time), outside any transaction, then
   * every outcome recorded in one transaction. Returns, per refund, undefined when it is done (sent now
   * or before) or the error of a failed attempt, which the job retries.
   */
  async sendRefunds(refundIds: readonly string[]): Promise<(Error | undefined)[]> {
    const refunds = await this.deps.db.read((tx) => tx.findBy(RefundRow, { id: In([...refundIds]), status: In(['pending', 'failed'] as RefundStatus[]) }));
    if (refunds.length === 0) return refundIds.map(() => undefined);
    const payments = new Map((await this.deps.db.read((tx) => tx.findBy(PaymentRow, { id: In(refunds.map((r) => r.paymentId)) }))).map((p) => [p.id, p]));
    const results = new Map<string, RefundResult & { unanswered?: true }>();
    const queue = [...refunds];
    const send = async () => {
      for (let refund = queue.shift(); refund; refund = queue.shift()) {
        const payment = payments.get(refund.paymentId)!;
        const gateway = this.deps.gateways.get(payment.provider);
        if (!gateway) {
          // Its provider is no longer configured here (its settings removed): a refused attempt, on record for operators
          // and sent again later, rather than an error that would fail every refund sent with it.
          results.set(refund.id, { outcome: 'rejected', reason: `the payment provider "${payment.provider}" is not configured: it cannot be sent there` });
          continue;
        }
        const result = await gateway
          .refund({
            refundId: refund.id,
            paymentId: payment.reportedPaymentId ?? payment.id,
            transactionId: payment.transactionId,
            amount: refund.amount,
            currency: payment.currency,
            reason: refund.reason,
            payer: payment.payer,
          })
          // No answer (a timeout, a broken connection): the provider may or may not have paid. It counts as a
          // failed attempt, on record for operators, and is asked again with the same refund id, which the
          // provider never pays twice; the query job also asks the provider how it stands.
          .catch((error: unknown): RefundResult & { unanswered: true } => ({
            outcome: 'rejected',
            reason: `no answer from the gateway: ${error instanceof Error ? error.message : String(error)}`,
            unanswered: true,
          }));
        results.set(refund.id, result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(REFUND_CALLS_AT_ONCE, refunds.length) }, send));
    await this.deps.db.transaction(async (tx) => {
      // Still unsent: a refund another run recorded meanwhile is left as that run recorded it.
      const open = await tx.find(RefundRow, {
        where: { id: In(refunds.map((r) => r.id)), status: In(['pending', 'failed'] as RefundStatus[]) },
        order: { id: 'ASC' },
        lock: this.deps.db.rowLock(),
      });
      const now = this.deps.clock.now();
      const firstQuery = new Date(now.getTime() + this.deps.queryAfterMs);
      const withOutcome = (outcome: RefundResult['outcome']) => open.filter((r) => results.get(r.id)!.outcome === outcome);
      for (const refund of withOutcome('rejected')) {
        const result = results.get(refund.id) as Extract<RefundResult, { outcome: 'rejected' }> & { unanswered?: true };
        await tx.update(
          RefundRow,
          { id: refund.id },
          { status: 'failed', attempts: refund.attempts + 1, lastError: result.reason.slice(0, 255), nextQueryAt: result.unanswered ? firstQuery : null },
        );
      }
      // Accepted, not finished: the money stays in refunds_pending until its notification or a query says it is paid out.
      const processing = withOutcome('processing');
      if (processing.length > 0)
        await tx
          .createQueryBuilder()
          .update(RefundRow)
          .set({ status: 'processing', attempts: () => 'attempts + 1', lastError: null, nextQueryAt: firstQuery })
          .where({ id: In(processing.map((r) => r.id)) })
          .execute();
      await this.refundsPaid(tx, withOutcome('succeeded'), payments, { attempted: true, now });
    });
    return refundIds.map((id) => {
      const result = results.get(id);
      // A final refusal stays failed, with its reason, for an operator: sending it again would change nothing.
      return result?.outcome === 'rejected' && !result.final ? new Error(`refund ${id} failed: ${result.reason}`) : undefined;
    });
  }

  /** Refunds the gateway has paid out: recorded, the ledger moves the money out of refunds_pending, and the consumers are told. */
  private async refundsPaid(
    tx: Tx,
    paid: readonly RefundRow[],
    payments: ReadonlyMap<string, PaymentRow>,
    { attempted, now }: { attempted: boolean; now: Date },
  ): Promise<void> {
    if (paid.length === 0) return;
    await tx
      .createQueryBuilder()
      .update(RefundRow)
      .set({ status: 'succeeded', attempts: () => (attempted ? 'attempts + 1' : 'attempts'), lastError: null, succeededAt: now, nextQueryAt: null })
      .where({ id: In(paid.map((r) => r.id)) })
      .execute();
    await this.deps.ledger.postMany(
      tx,
      paid.map((refund) => ({
        kind: 'payment_refund_sent',
        refs: {
          campaignId: refund.campaignId ?? undefined,
          pledgeId: refund.pledgeId ?? undefined,
          boxId: payments.get(refund.paymentId)!.boxId ?? undefined,
          paymentId: refund.paymentId,
          refundId: refund.id,
        },
        lines: [
          { account: accounts.inCurrency(accounts.refundsPending, payments.get(refund.paymentId)!.currency), amount: refund.amount },
          { account: accounts.inCurrency(accounts.gateway, payments.get(refund.paymentId)!.currency), amount: refund.amount.negated() },
        ],
      })),
    );
    const done = paid.map((refund) =>
      Object.assign(refund, { status: 'succeeded', attempts: refund.attempts + (attempted ? 1 : 0), lastError: null, succeededAt: now, nextQueryAt: null }),
    );
    await this.refundsSent(
      tx,
      done.map((refund) => ({ refund, payment: payments.get(refund.paymentId)! })),
    );
  }

  /** A refund the provider had under way and then refused: failed, and sent again by the refund job (a new job: the first one is done). */
  private async refundRefused(tx: Tx, refund: RefundRow, reason: string): Promise<void> {
    await tx.update(RefundRow, { id: refund.id }, { status: 'failed', lastError: reason, nextQueryAt: null });
    await this.deps.jobs.enqueue(tx, SEND_REFUND_JOB, { refundId: refund.id }, { key: `${refund.id}:${refund.attempts}` });
  }

  /** The consumers are told, by the module of each payment (for money we did not ask for: of the payment it was reported against); nobody, when we do not know who paid. */
  private async refundsSent(tx: Tx, sent: readonly { refund: RefundRow; payment: PaymentRow }[]): Promise<void> {
    const byKind = new Map<AskedKind, (RefundRow & { userId: string })[]>();
    for (const { refund, payment } of sent) {
      const { userId } = refund;
      if (userId === null) continue;
      const asked = payment.kind === 'unexpected' ? await tx.findOneBy(PaymentRow, { id: payment.reportedPaymentId! }) : payment;
      if (asked && asked.kind !== 'unexpected') byKind.set(asked.kind, [...(byKind.get(asked.kind) ?? []), { ...refund, userId }]);
    }
    for (const [kind, refunds] of byKind) await this.listenerOf(kind).refundsSent(tx, refunds);
  }

  async list(page: { limit: number; offset: number }, where: { kind?: PaymentKind; status?: PaymentStatus }): Promise<{ items: PaymentRow[]; total: number }> {
    const filter = Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined));
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(PaymentRow, { where: filter, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /**
   * Refunds, newest first: of a status; `stuck` ones (still pending or processing longer than the threshold);
   * or those needing an operator (`attention`: failed, or stuck).
   */
  async listRefunds(
    page: { limit: number; offset: number },
    filter: { status?: RefundStatus; problem?: 'stuck' | 'attention' } = {},
  ): Promise<{ items: RefundRow[]; total: number }> {
    // Each problem is the statuses it can have (and, for stuck, an age). A status asked for narrows them: it
    // never replaces them, or ?problem=stuck&status=succeeded would list paid-out refunds as stuck.
    const stuck = { statuses: ['pending', 'processing'] as RefundStatus[], createdAt: LessThanOrEqual(this.stuckBefore()) };
    const problem =
      filter.problem === 'stuck' ? [stuck] : filter.problem === 'attention' ? [{ statuses: ['failed'] as RefundStatus[] }, stuck] : [{ statuses: undefined }];
    const where = problem.flatMap(({ statuses, ...rest }) => {
      const allowed = filter.status === undefined ? statuses : statuses === undefined || statuses.includes(filter.status) ? [filter.status] : [];
      if (allowed?.length === 0) return [];
      return [{ ...rest, ...(allowed ? { status: In(allowed) } : {}) }];
    });
    // A status no refund with that problem can have: none.
    if (where.length === 0) return { items: [], total: 0 };
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(RefundRow, { where, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /** Refunds decided before this are stuck if they are still pending or processing. */
  stuckBefore(): Date {
    return new Date(this.deps.clock.now().getTime() - (this.deps.refundStuckAfterMs ?? 60 * 60_000));
  }

  /** Whether a refund is stuck: still pending (not sent) or processing (the provider has not finished it) longer than the threshold. */
  isStuck(refund: Pick<RefundRow, 'status' | 'createdAt'>): boolean {
    return (refund.status === 'pending' || refund.status === 'processing') && refund.createdAt <= this.stuckBefore();
  }

  /**
   * An operator sends a failed or stuck refund again, now. It never pays twice: the provider is asked with the
   * refund's own id (a provider pays a refund id once; one it already paid answers that it did), and the answer is
   * recorded only if the refund is still open, under its row lock, so a job sending it at the same moment, or a
   * second retry, finds it done. A refund the provider has under way (processing) is first asked about: paid out
   * is recorded as paid out; refused is sent again; still under way stays so. A refund already paid out is
   * answered as it is (`already_paid_out`), changing nothing.
   */
  async retryRefund(refundId: string): Promise<{ refund: RefundRow; outcome: 'paid_out' | 'already_paid_out' | 'processing' | 'failed' }> {
    const found = await this.deps.db.read(async (tx) => {
      const refund = await tx.findOneBy(RefundRow, { id: refundId });
      return refund && { refund, payment: (await tx.findOneByOrFail(PaymentRow, { id: refund.paymentId })) as PaymentRow };
    });
    if (!found) throw notFound('The refund');
    const { refund, payment } = found;
    if (refund.status === 'succeeded') return { refund, outcome: 'already_paid_out' };
    if (refund.status !== 'failed' && !this.isStuck(refund))
      throw conflict(
        'refund_not_retryable',
        `This refund is ${refund.status} and not stuck yet: it is being ${refund.status === 'pending' ? 'sent' : 'finished by the provider'}. Only a failed refund, or one stuck longer than the threshold, is sent again by hand.`,
      );
    if (refund.status === 'processing') {
      const provider = payment.provider;
      const answer = await this.gateway(provider).queryRefund({ refundId, paymentId: payment.reportedPaymentId ?? payment.id });
      const event = { refundId, paymentId: payment.reportedPaymentId ?? payment.id, amount: refund.amount, currency: payment.currency };
      // The same event ids as the query job's: whichever records the provider's answer first, the other is a duplicate.
      if (answer.outcome === 'succeeded') await this.settle(provider, { id: `query:refund:${refundId}`, type: 'refund.succeeded', ...event });
      else if (answer.outcome !== 'processing')
        await this.settle(provider, { id: `query:refund:${refundId}:${refund.attempts}`, type: 'refund.failed', ...event });
    }
    await this.sendRefunds([refundId]);
    const now = await this.deps.db.read((tx) => tx.findOneByOrFail(RefundRow, { id: refundId }));
    const outcome = now.status === 'succeeded' ? 'paid_out' : now.status === 'processing' ? 'processing' : 'failed';
    return { refund: now, outcome };
  }

  /** Payments of a consumer, a campaign or by id (an operator's search), newest first: at most `limit`, and how many there are. */
  async search(
    where: {
      ids?: readonly string[];
      userIds?: readonly string[];
      campaignIds?: readonly string[];
      transactionIds?: readonly string[];
      boxIds?: readonly string[];
    },
    limit: number,
  ): Promise<{ items: PaymentRow[]; total: number }> {
    const or = anyOf({ id: where.ids, userId: where.userIds, campaignId: where.campaignIds, transactionId: where.transactionIds, boxId: where.boxIds });
    if (or.length === 0) return { items: [], total: 0 };
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(PaymentRow, { where: or, order: { createdAt: 'DESC', id: 'ASC' }, take: limit }));
    return { items, total };
  }

  /** Refunds of a consumer, a campaign, these payments or by id (an operator's search), newest first: at most `limit`, and how many there are. */
  async searchRefunds(
    where: { ids?: readonly string[]; userIds?: readonly string[]; campaignIds?: readonly string[]; paymentIds?: readonly string[] },
    limit: number,
  ): Promise<{ items: RefundRow[]; total: number }> {
    const or = anyOf({ id: where.ids, userId: where.userIds, campaignId: where.campaignIds, paymentId: where.paymentIds });
    if (or.length === 0) return { items: [], total: 0 };
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(RefundRow, { where: or, order: { createdAt: 'DESC', id: 'ASC' }, take: limit }));
    return { items, total };
  }

  /** A payment with its checkouts (where it was offered, when) and its refunds, for an operator: null when there is none. */
  async trail(paymentId: string): Promise<{ payment: PaymentRow; checkouts: PaymentCheckoutRow[]; refunds: RefundRow[] } | null> {
    return this.deps.db.read(async (tx) => {
      const payment = await tx.findOneBy(PaymentRow, { id: paymentId });
      if (!payment) return null;
      const checkouts = await tx.find(PaymentCheckoutRow, { where: { paymentId }, order: { createdAt: 'ASC', id: 'ASC' } });
      const refunds = await tx.find(RefundRow, { where: { paymentId }, order: { createdAt: 'ASC', id: 'ASC' } });
      return { payment, checkouts, refunds };
    });
  }

  /** These payments, and every refund of them, for an operator's view of a pledge or a box. */
  async withRefunds(paymentIds: readonly string[]): Promise<{ payments: PaymentRow[]; refunds: RefundRow[] }> {
    if (paymentIds.length === 0) return { payments: [], refunds: [] };
    return this.deps.db.read(async (tx) => ({
      payments: await tx.find(PaymentRow, { where: { id: In([...paymentIds]) }, order: { createdAt: 'ASC', id: 'ASC' } }),
      refunds: await tx.find(RefundRow, { where: { paymentId: In([...paymentIds]) }, order: { createdAt: 'ASC', id: 'ASC' } }),
    }));
  }

  /** Sums for the reconcile command, per currency, straight from the payment and refund records. */
  async totals(tx: Tx): Promise<Map<string, { received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }>> {
    const sums = async (query: Promise<{ currency: string; fen: string | number }[]>) =>
      new Map((await query).map((r) => [r.currency, fromFen(String(r.fen))]));
    const refunds = (status: string) =>
      tx
        .createQueryBuilder(RefundRow, 'r')
        .innerJoin(PaymentRow, 'p', 'p.id = r.payment_id')
        .select('p.currency', 'currency')
        .addSelect('SUM(r.amount_fen)', 'fen')
        .where(status)
        .groupBy('p.currency')
        .getRawMany();
    const received = await sums(
      tx
        .createQueryBuilder(PaymentRow, 'p')
        .select('p.currency', 'currency')
        .addSelect('SUM(p.amount_fen)', 'fen')
        .where("p.status = 'succeeded'")
        .groupBy('p.currency')
        .getRawMany(),
    );
    const refunded = await sums(refunds("r.status = 'succeeded'"));
    const outstanding = await sums(refunds("r.status <> 'succeeded'"));
    const currencies = new Set([LEDGER_CURRENCY, ...received.keys(), ...refunded.keys(), ...outstanding.keys()]);
    return new Map(
      [...currencies].map((c) => [c, { received: received.get(c) ?? ZERO, refunded: refunded.get(c) ?? ZERO, refundsOutstanding: outstanding.get(c) ?? ZERO }]),
    );
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
    return rows.map(
      (r) =>
        `unexpected payment ${r.id} of ${formatMoney(fromFen(String(r.amount)))} has ${formatMoney(fromFen(String(r.refunded)))} refunded or being refunded`,
    );
  }
}

/** Why money a notification reports is not the money we asked for; undefined when it is. */
function unexpectedReason(asked: PaymentRow | undefined, provider: string, event: PaymentEvent): UnexpectedReason | undefined {
  if (!asked) return 'unknown_payment';
  if (event.currency !== asked.currency) return 'currency_mismatch';
  if (!event.amount.equals(asked.amount)) return 'amount_mismatch';
  // The payment taken again, under another transaction of the gateway or at another provider: a second charge.
  if (
    event.type === 'payment.succeeded' &&
    asked.status === 'succeeded' &&
    asked.transactionId !== null &&
    (event.transactionId !== asked.transactionId || asked.provider !== provider)
  )
    return 'second_charge';
  return undefined;
}

/** A where of TypeORM matching any of these columns' values (an OR of IN lists); the columns without values are left out. */
function anyOf(columns: Record<string, readonly string[] | undefined>): Record<string, ReturnType<typeof In>>[] {
  return Object.entries(columns)
    .filter((entry): entry is [string, readonly string[]] => entry[1] !== undefined && entry[1].length > 0)
    .map(([column, values]) => ({ [column]: In([...values]) }));
}
