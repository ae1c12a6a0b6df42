import { DateTime } from 'luxon';
import { In, IsNull, LessThanOrEqual } from 'typeorm';
import { BUSINESS_TIME_ZONE, startOfBusinessDay } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { newId } from '../platform/ids';
import type { Logger } from '../platform/logger';
import { type Decimal, fromFen } from '../platform/money';
import type { GatewayEvent, PaymentGateway } from './gateway';
import {
  PaymentCheckoutRow,
  PaymentRow,
  RefundRow,
  StatementCheckRow,
  StatementDifferenceRow,
  type RefundStatus,
  type StatementDifferenceKind,
  type StatementResolution,
} from './payment.entity';
import type { NotificationOutcome, PaymentService } from './payment.service';

/** Payments and refunds asked about in one run of the query job (the oldest due first; the rest next minute). */
const QUERY_BATCH = 200;
/** Calls one run has open with the providers at once. */
const CALLS_AT_ONCE = 10;
/** How often something still open is asked about at most, and at least: a quarter of its age, between these. */
const MIN_QUERY_INTERVAL_MS = 60_000;
const MAX_QUERY_INTERVAL_MS = 30 * 60_000;

/** One day's comparison of a provider's statement with our records; `differences` are those found for the first time. */
export interface StatementReport {
  provider: string;
  day: string;
  lines: number;
  differences: StatementDifferenceRow[];
}

type NewDifference = Pick<StatementDifferenceRow, 'kind' | 'lineKey' | 'paymentId' | 'refundId' | 'transactionId' | 'currency' | 'resolution' | 'detail'> & {
  providerAmount: Decimal | null;
  ourAmount: Decimal | null;
};

/**
 * Active reconciliation (issue #17): a notification can be lost, so we ask the providers ourselves.
 * - The query job asks about every payment still open some minutes after its checkout, at each provider
 *   it was sent to, and about every refund left processing or sent without an answer; what a provider
 *   answers settles through the same path as its notification (PaymentService.settle).
 * - The daily job compares each provider's statement of the day before with our payments and refunds:
 *   money the provider took that we had not recorded is settled the same way (our payment, or money we
 *   did not ask for, refunded); a refund it paid out that we had not seen confirmed is confirmed; every
 *   difference is recorded, shown to operators and notified to them.
 */
export class PaymentReconciliation {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      logger: Logger;
      payments: PaymentService;
      gateways: ReadonlyMap<string, PaymentGateway>;
      queryAfterMs: number;
      /** Differences found for the first time, in the transaction that records them (operators are notified). */
      onDifferences?: (tx: Tx, report: StatementReport) => Promise<void>;
    },
  ) {}

  /** The query job's run: returns how many payments and refunds it asked about. */
  async queryOpen(): Promise<{ payments: number; refunds: number }> {
    const now = this.deps.clock.now();
    const { payments, checkouts, refunds, refundPayments } = await this.deps.db.read(async (tx) => {
      const payments = await tx.find(PaymentRow, { where: { nextQueryAt: LessThanOrEqual(now) }, order: { nextQueryAt: 'ASC', id: 'ASC' }, take: QUERY_BATCH });
      const checkouts = payments.length === 0 ? [] : await tx.find(PaymentCheckoutRow, { where: { paymentId: In(payments.map((p) => p.id)) } });
      const refunds = await tx.find(RefundRow, {
        where: { nextQueryAt: LessThanOrEqual(now), status: In(['processing', 'failed'] as RefundStatus[]) },
        order: { nextQueryAt: 'ASC', id: 'ASC' },
        take: QUERY_BATCH,
      });
      const refundPayments = refunds.length === 0 ? [] : await tx.findBy(PaymentRow, { id: In(refunds.map((r) => r.paymentId)) });
      return { payments, checkouts, refunds, refundPayments: new Map(refundPayments.map((p) => [p.id, p])) };
    });
    const next = new Map<string, Date | null>();
    const nextRefund = new Map<string, Date | null>();
    const calls: (() => Promise<void>)[] = [];
    for (const payment of payments) {
      const offered = checkouts.filter((c) => c.paymentId === payment.id);
      // Asked until a provider says it is paid, and one last time a little after its deadline.
      const lastLook = new Date(Math.max(...offered.map((c) => c.expiresAt.getTime()), payment.createdAt.getTime()) + this.deps.queryAfterMs);
      const since = Math.max(...offered.map((c) => c.createdAt.getTime()), payment.createdAt.getTime());
      next.set(payment.id, now >= lastLook ? null : new Date(Math.min(now.getTime() + interval(now.getTime() - since), lastLook.getTime())));
      for (const provider of new Set(offered.map((c) => c.provider)))
        calls.push(async () => {
          const answer = await this.gateway(provider).queryPayment(payment.id);
          if (answer.state !== 'paid' && answer.state !== 'failed') return;
          await this.settle(provider, answer.event);
          if (answer.state === 'paid') next.set(payment.id, null);
        });
    }
    for (const refund of refunds) {
      const payment = refundPayments.get(refund.paymentId)!;
      nextRefund.set(refund.id, new Date(now.getTime() + interval(now.getTime() - refund.createdAt.getTime())));
      calls.push(async () => {
        const answer = await this.gateway(payment.provider).queryRefund({ refundId: refund.id, paymentId: payment.reportedPaymentId ?? payment.id });
        const event = { refundId: refund.id, paymentId: payment.reportedPaymentId ?? payment.id, amount: refund.amount, currency: payment.currency };
        if (answer.outcome === 'succeeded') await this.settle(payment.provider, { id: `query:refund:${refund.id}`, type: 'refund.succeeded', ...event });
        // Refused after it was under way: sent again by the refund job (a refusal per attempt).
        else if (answer.outcome === 'rejected' && refund.status === 'processing')
          await this.settle(payment.provider, { id: `query:refund:${refund.id}:${refund.attempts}`, type: 'refund.failed', ...event });
        // Still under way: asked again later. Anything else is the refund job's to send again.
        else if (answer.outcome === 'processing') return;
        nextRefund.set(refund.id, null);
      });
    }
    await runAll(calls, (error) => this.deps.logger.warn({ err: error }, 'a payment or refund query failed; it is asked again on a later run'));
    await this.deps.db.transaction(async (tx) => {
      // Only what is still as it was read: a notification may have ended it meanwhile (its own writes win).
      for (const [id, at] of next) await tx.update(PaymentRow, { id, nextQueryAt: LessThanOrEqual(now) }, { nextQueryAt: at });
      for (const [id, at] of nextRefund)
        await tx.update(RefundRow, { id, nextQueryAt: LessThanOrEqual(now), status: In(['processing', 'failed'] as RefundStatus[]) }, { nextQueryAt: at });
    });
    return { payments: payments.length, refunds: refunds.length };
  }

  /** The daily job: every provider's statement of the business day before `now`. */
  async compareYesterday(): Promise<StatementReport[]> {
    const day = DateTime.fromJSDate(this.deps.clock.now(), { zone: BUSINESS_TIME_ZONE }).minus({ days: 1 }).toISODate()!;
    const reports: StatementReport[] = [];
    for (const provider of this.deps.gateways.keys()) reports.push(await this.compareStatement(provider, day));
    return reports;
  }

  /**
   * Compares one provider's statement of one day (YYYY-MM-DD, China) with our records. Money is matched by
   * the provider's transaction id, refunds by our refund id, and each record matched is marked with the
   * statement's day. What we recorded that day and no statement has shown is missing at the provider:
   * money never comes to us before the provider takes it, and what we learnt of late was settled by the
   * comparison of its own day, so a record of the day unmarked after this comparison is not at the
   * provider. Comparing a day again records only differences not recorded before.
   */
  async compareStatement(provider: string, day: string): Promise<StatementReport> {
    const lines = await this.gateway(provider).statement(day);
    const paymentLines = lines.filter((l) => l.kind === 'payment');
    const refundLines = lines.filter((l) => l.kind === 'refund');
    const transactionIds = [...new Set(paymentLines.map((l) => l.transactionId).filter((t) => t !== null))];
    const refundIds = refundLines.map((l) => l.refundId).filter((r) => r !== null);
    const ours = await this.deps.db.read(async (tx) => ({
      byTransaction: new Map(
        (transactionIds.length === 0 ? [] : await tx.findBy(PaymentRow, { provider, transactionId: In(transactionIds) })).map((p) => [p.transactionId!, p]),
      ),
      refunds: new Map((refundIds.length === 0 ? [] : await tx.findBy(RefundRow, { id: In(refundIds) })).map((r) => [r.id, r])),
    }));
    const found: NewDifference[] = [];
    const seen = { transactions: new Set<string>(), refunds: new Set<string>() };

    for (const line of paymentLines) {
      const base = { transactionId: line.transactionId, currency: line.currency, providerAmount: line.amount, refundId: null };
      if (line.paymentId === null || line.transactionId === null) {
        found.push({
          ...base,
          lineKey: line.transactionId ?? `${line.paymentId}:${line.at.toISOString()}`,
          kind: 'payment_not_recorded',
          paymentId: null,
          ourAmount: null,
          resolution: 'reported',
          detail: 'not an order number of ours',
        });
        continue;
      }
      const base2 = { ...base, lineKey: line.transactionId };
      const payment = ours.byTransaction.get(line.transactionId);
      if (payment) {
        seen.transactions.add(line.transactionId);
        if (!payment.amount.equals(line.amount) || payment.currency !== line.currency)
          found.push({
            ...base2,
            kind: 'payment_amount_differs',
            paymentId: payment.id,
            ourAmount: payment.amount,
            resolution: 'reported',
            detail: `we recorded ${payment.amount.toFixed(2)} ${payment.currency}`,
          });
        continue;
      }
      // Money taken that we have no record of: a notification lost, or money we did not ask for. It is
      // settled as its notification would have been: the payment it was for, or refunded.
      const outcome = await this.settle(provider, {
        id: `statement:${line.transactionId}`,
        type: 'payment.succeeded',
        paymentId: line.paymentId,
        amount: line.amount,
        currency: line.currency,
        transactionId: line.transactionId,
      });
      if (outcome !== undefined) seen.transactions.add(line.transactionId);
      found.push({
        ...base2,
        kind: 'payment_not_recorded',
        paymentId: line.paymentId,
        ourAmount: null,
        resolution: outcome === 'unexpected' ? 'refunded' : outcome === undefined ? 'reported' : 'settled',
        detail:
          outcome === 'unexpected' ? 'money we did not ask for: recorded and refunded' : outcome === undefined ? 'could not be settled' : 'recorded as paid',
      });
    }

    for (const line of refundLines) {
      const refund = line.refundId === null ? undefined : ours.refunds.get(line.refundId);
      const base = { lineKey: line.refundId ?? `${line.paymentId}:${line.at.toISOString()}`, transactionId: line.transactionId, currency: line.currency };
      const amounts = { providerAmount: line.amount, ourAmount: refund?.amount ?? null };
      if (!refund) {
        found.push({
          ...base,
          ...amounts,
          kind: 'refund_not_recorded',
          paymentId: line.paymentId,
          refundId: null,
          resolution: 'reported',
          detail: 'not a refund of ours',
        });
        continue;
      }
      seen.refunds.add(refund.id);
      const refs = { paymentId: refund.paymentId, refundId: refund.id };
      if (!refund.amount.equals(line.amount)) {
        found.push({ ...base, ...amounts, ...refs, kind: 'refund_amount_differs', resolution: 'reported', detail: `we sent ${refund.amount.toFixed(2)}` });
        continue;
      }
      if (refund.status === 'succeeded') continue;
      // Paid out, and we had not seen it confirmed: confirmed now, as its notification would have.
      const outcome = await this.settle(provider, {
        id: `statement:refund:${refund.id}`,
        type: 'refund.succeeded',
        refundId: refund.id,
        paymentId: line.paymentId ?? refund.paymentId,
        amount: line.amount,
        currency: line.currency,
      });
      found.push({
        ...base,
        ...amounts,
        ...refs,
        kind: 'refund_not_confirmed',
        resolution: outcome === undefined ? 'reported' : 'confirmed',
        detail: outcome === undefined ? 'could not be confirmed' : 'recorded as paid out',
      });
    }
    return this.record(provider, day, lines.length, found, seen);
  }

  /**
   * In one transaction: marks what the statement showed, finds what we recorded that day and no statement
   * has shown, records the day's check and its differences not recorded before, and tells operators of the new ones.
   */
  private record(
    provider: string,
    day: string,
    lines: number,
    fromLines: readonly NewDifference[],
    seen: { transactions: ReadonlySet<string>; refunds: ReadonlySet<string> },
  ): Promise<StatementReport> {
    const transferred = this.gateway(provider).paidByTransfer ?? [];
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      if (seen.transactions.size > 0)
        await tx.update(PaymentRow, { provider, transactionId: In([...seen.transactions]), statementDay: IsNull() }, { statementDay: day });
      if (seen.refunds.size > 0) await tx.update(RefundRow, { id: In([...seen.refunds]), statementDay: IsNull() }, { statementDay: day });
      const from = startOfBusinessDay(day);
      const to = startOfBusinessDay(DateTime.fromISO(day).plus({ days: 1 }).toISODate()!);
      const unshownPayments = await tx
        .createQueryBuilder(PaymentRow, 'p')
        .where('p.settled_at >= :from AND p.settled_at < :to AND p.provider = :provider AND p.status = :succeeded', {
          from,
          to,
          provider,
          succeeded: 'succeeded',
        })
        .andWhere('p.transaction_id IS NOT NULL AND p.statement_day IS NULL')
        .getMany();
      const unshownRefunds = await tx
        .createQueryBuilder(RefundRow, 'r')
        .innerJoin(PaymentRow, 'p', 'p.id = r.payment_id')
        .select('r.id', 'id')
        .addSelect('r.payment_id', 'paymentId')
        .addSelect('r.amount_fen', 'fen')
        .addSelect('p.currency', 'currency')
        .where('r.succeeded_at >= :from AND r.succeeded_at < :to AND r.status = :succeeded AND r.statement_day IS NULL AND p.provider = :provider', {
          from,
          to,
          provider,
          succeeded: 'succeeded',
        })
        // Paid as transfers, which a statement of trades never shows.
        .andWhere(transferred.length > 0 ? 'r.reason NOT IN (:...transferred)' : '1 = 1', { transferred })
        .getRawMany<{ id: string; paymentId: string; fen: string | number; currency: string }>();
      const found: NewDifference[] = [
        ...fromLines,
        ...unshownPayments.map((p): NewDifference => ({
          kind: 'payment_not_at_provider',
          lineKey: p.transactionId!,
          paymentId: p.id,
          refundId: null,
          transactionId: p.transactionId,
          currency: p.currency,
          providerAmount: null,
          ourAmount: p.amount,
          resolution: 'reported',
          detail: 'recorded as paid; in no statement',
        })),
        ...unshownRefunds.map((r): NewDifference => ({
          kind: 'refund_not_at_provider',
          lineKey: r.id,
          paymentId: r.paymentId,
          refundId: r.id,
          transactionId: null,
          currency: r.currency,
          providerAmount: null,
          ourAmount: fromFen(String(r.fen)),
          resolution: 'reported',
          detail: 'recorded as paid out; in no statement',
        })),
      ];
      const known = new Set((await tx.findBy(StatementDifferenceRow, { provider, day })).map((d) => `${d.kind} ${d.lineKey}`));
      const fresh = found
        .filter((d) => !known.has(`${d.kind} ${d.lineKey}`))
        .map((d) => Object.assign(new StatementDifferenceRow(), { ...d, id: newId(), provider, day, createdAt: now, detail: d.detail.slice(0, 255) }));
      if (fresh.length > 0) await this.deps.db.insertEntities(tx, StatementDifferenceRow, fresh);
      await tx.delete(StatementCheckRow, { provider, day });
      await tx.insert(
        StatementCheckRow,
        Object.assign(new StatementCheckRow(), { provider, day, lines, differences: known.size + fresh.length, checkedAt: now }),
      );
      const report = { provider, day, lines, differences: fresh };
      if (fresh.length > 0) await this.deps.onDifferences?.(tx, report);
      return report;
    });
  }

  async differences(
    page: { limit: number; offset: number },
    where: { provider?: string; day?: string; kind?: StatementDifferenceKind; resolution?: StatementResolution },
  ): Promise<{ items: StatementDifferenceRow[]; total: number }> {
    const filter = Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined));
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(StatementDifferenceRow, { where: filter, order: { createdAt: 'DESC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /** What a provider reported, settled through the notification path; undefined (and logged) when it was refused. */
  private async settle(provider: string, event: GatewayEvent): Promise<NotificationOutcome | undefined> {
    try {
      return await this.deps.payments.settle(provider, event);
    } catch (error) {
      this.deps.logger.warn({ err: error, provider, event: event.id }, 'a provider answer could not be settled');
      return undefined;
    }
  }

  private gateway(provider: string): PaymentGateway {
    return this.deps.payments.gateway(provider);
  }
}

/** A quarter of how long it has been open, between a minute and half an hour. */
function interval(ageMs: number): number {
  return Math.min(Math.max(ageMs / 4, MIN_QUERY_INTERVAL_MS), MAX_QUERY_INTERVAL_MS);
}

/** Runs the calls, a few at a time; a failed call is reported and the rest go on. */
async function runAll(calls: readonly (() => Promise<void>)[], onError: (error: unknown) => void): Promise<void> {
  const queue = [...calls];
  const worker = async () => {
    for (let call = queue.shift(); call; call = queue.shift()) await call().catch(onError);
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_AT_ONCE, queue.length) }, worker));
}
