import { In, IsNull, LessThanOrEqual } from 'typeorm';
import { accounts, type LedgerService } from '../ledger';
import type { NotificationService } from '../notifications';
import type { PaymentListener, PaymentRow, PaymentService, RefundRow } from '../payments';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { Jobs } from '../platform/jobs';
import { type Decimal, ZERO, formatMoney, parseMoney, roundToFen } from '../platform/money';
import { contentsOf } from './box-contents';
import { LATE_AFTER_MS } from './deliveries';
import { BoxRow, FruitRow, SubscriptionRow } from './subscription.entity';

/** What pays shop owners on a charged box (the commissions module, wired in app.ts): told in the charge's transaction. */
export interface BoxCommissions {
  boxCharged(tx: Tx, box: { boxId: string; planId: string; buyerId: string; shopId: string | null; price: Decimal }): Promise<void>;
}

export const LOCK_DUE_JOB = 'subscriptions.lock-due-boxes';
export const CHARGE_JOB = 'subscriptions.charge-box';
export const LATE_GUARANTEE_JOB = 'subscriptions.late-shipping-guarantee';

/** A box's charge is tried this many times (the first at the cutoff), then the box is cancelled. */
export const MAX_CHARGE_ATTEMPTS = 3;
/** Delay before the 2nd and 3rd tries. */
export const CHARGE_RETRY_DELAYS_MS = [3600_000, 4 * 3600_000];
/** 慢就赔: a box shipped more than a day late earns this share of its price as credit. */
export const LATE_COMPENSATION_RATE = '0.20';
const BATCH = 200;

/**
 * A box from its cutoff on: contents locked and charged through the payment port, charges retried and
 * finally the box cancelled, the money split in the ledger between the orchards (the fruit's cost) and
 * the platform, shipping, and the late-shipping guarantee. Each step moves a box only from the state it
 * expects, so every job can run twice or stop half way and run again.
 */
export class BoxCharges implements PaymentListener {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      jobs: Jobs;
      payments: PaymentService;
      ledger: LedgerService;
      notifications: NotificationService;
      commissions: BoxCommissions;
    },
  ) {}

  /** Locks every planned box whose cutoff has passed and asks for its charge, in batches. */
  async lockDue(): Promise<number> {
    let locked = 0;
    for (;;) {
      const charged = await this.deps.db.transaction(async (tx) => {
        const now = this.deps.clock.now();
        const due = await tx.find(BoxRow, {
          where: { status: 'planned', cutoffAt: LessThanOrEqual(now) },
          order: { cutoffAt: 'ASC', id: 'ASC' },
          take: BATCH,
          lock: this.deps.db.rowLock(),
        });
        const payments = await this.deps.payments.create(
          tx,
          due.map((box) => ({ kind: 'box', boxId: box.id, userId: box.userId, amount: box.price })),
        );
        for (const [i, box] of due.entries()) {
          const moved = await tx.update(
            BoxRow,
            { id: box.id, status: 'planned' },
            { status: 'locked', lockedAt: now, chargeAttempts: 1, paymentId: payments[i].id },
          );
          if (moved.affected !== 1) throw new Error(`box ${box.id} changed while it was being locked`);
        }
        return payments;
      });
      for (const payment of charged) this.deps.payments.created(payment);
      locked += charged.length;
      if (charged.length < BATCH) return locked;
    }
  }

  /** A retry of a failed charge (a job, after a delay). */
  async chargeAgain(boxId: string): Promise<void> {
    const payment = await this.deps.db.transaction(async (tx) => {
      const box = await tx.findOne(BoxRow, { where: { id: boxId }, lock: this.deps.db.rowLock() });
      if (!box || box.status !== 'locked' || box.chargeAttempts >= MAX_CHARGE_ATTEMPTS) return undefined;
      const current = box.paymentId ? await this.deps.payments.find(tx, box.paymentId) : undefined;
      if (current && current.status !== 'failed') return undefined;
      const [created] = await this.deps.payments.create(tx, [{ kind: 'box', boxId: box.id, userId: box.userId, amount: box.price }]);
      await tx.update(BoxRow, { id: box.id }, { chargeAttempts: box.chargeAttempts + 1, paymentId: created.id });
      return created;
    });
    if (payment) this.deps.payments.created(payment);
  }

  // ---- PaymentListener: called by payments inside the notification's transaction ----

  async paymentsSucceeded(tx: Tx, settled: readonly { payment: PaymentRow }[]): Promise<void> {
    for (const { payment } of settled) {
      const box = await tx.findOne(BoxRow, { where: { id: payment.boxId! }, lock: this.deps.db.rowLock() });
      if (!box || box.status !== 'locked' || box.paymentId !== payment.id) {
        // Money for a box that no longer wants it (cancelled after its last failed try, then paid late): it goes back.
        await this.deps.ledger.post(tx, {
          kind: 'late_payment_refunded',
          refs: { boxId: payment.boxId, paymentId: payment.id },
          lines: [
            { account: accounts.gateway, amount: payment.amount },
            { account: accounts.refundsPending, amount: payment.amount.negated() },
          ],
        });
        await this.deps.payments.requestRefund(tx, { payment, amount: payment.amount, reason: 'late_payment' });
        continue;
      }
      await tx.update(BoxRow, { id: box.id, status: 'locked' }, { status: 'paid' });
      await this.deps.ledger.post(tx, {
        kind: 'box_charged',
        refs: { boxId: box.id, paymentId: payment.id },
        lines: await this.chargeLines(tx, box, payment.amount),
      });
      const subscription = await tx.findOneByOrFail(SubscriptionRow, { id: box.subscriptionId });
      await this.deps.commissions.boxCharged(tx, {
        boxId: box.id,
        planId: subscription.planId,
        buyerId: box.userId,
        shopId: subscription.shopId,
        price: payment.amount,
      });
      await this.deps.notifications.notify(tx, {
        userId: box.userId,
        kind: 'box_charged',
        data: { boxId: box.id, amount: formatMoney(payment.amount), deliveryDate: box.deliveryDate, shipDate: box.shipDate },
      });
    }
  }

  async paymentFailed(tx: Tx, payment: PaymentRow): Promise<void> {
    const box = await tx.findOne(BoxRow, { where: { id: payment.boxId! }, lock: this.deps.db.rowLock() });
    if (!box || box.status !== 'locked' || box.paymentId !== payment.id) return;
    if (box.chargeAttempts < MAX_CHARGE_ATTEMPTS) {
      const at = new Date(this.deps.clock.now().getTime() + CHARGE_RETRY_DELAYS_MS[box.chargeAttempts - 1]);
      await this.deps.jobs.enqueue(tx, CHARGE_JOB, { boxId: box.id }, { runAt: at, key: `${box.id}:${box.chargeAttempts + 1}` });
      await this.deps.notifications.notify(tx, {
        userId: box.userId,
        kind: 'box_charge_failed',
        data: { boxId: box.id, deliveryDate: box.deliveryDate, retryAt: at.toISOString() },
      });
      return;
    }
    await tx.update(BoxRow, { id: box.id, status: 'locked' }, { status: 'cancelled', cancelReason: 'charge_failed' });
    await this.deps.notifications.notify(tx, {
      userId: box.userId,
      kind: 'box_cancelled',
      data: { boxId: box.id, deliveryDate: box.deliveryDate, attempts: MAX_CHARGE_ATTEMPTS },
    });
  }

  /** A box's charge can be paid until the box must ship. */
  async checkoutTerms(tx: Tx, payment: PaymentRow): Promise<{ description: string; expiresAt: Date } | null> {
    const box = await tx.findOneBy(BoxRow, { id: payment.boxId! });
    if (!box || box.status !== 'locked' || box.paymentId !== payment.id) return null;
    return { description: `鲜果箱 · ${box.deliveryDate} 送达`, expiresAt: box.shipByAt };
  }

  async refundsSent(tx: Tx, refunds: readonly (RefundRow & { userId: string })[]): Promise<void> {
    await this.deps.notifications.notifyMany(
      tx,
      refunds.map((refund) => ({ userId: refund.userId, kind: 'refund_sent' as const, data: { amount: formatMoney(refund.amount), reason: refund.reason } })),
    );
  }

  // ---- shipping and the late-shipping guarantee ----

  /**
   * Paid boxes leave the packing house; returns how many were marked (boxes not yet paid, or already shipped, are
   * left alone). A box marked shipped after its guarantee deadline that the hourly job has not yet compensated is
   * compensated here, in the same transaction: once shipped, the job no longer looks at it.
   */
  async markShipped(boxIds: readonly string[]): Promise<number> {
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const late = await tx.find(BoxRow, {
        where: { id: In([...boxIds]), status: 'paid', compensatedAt: IsNull(), shipByAt: LessThanOrEqual(lateIfShipByBefore(now)) },
        lock: this.deps.db.rowLock(),
      });
      const shipped = await tx.update(BoxRow, { id: In([...boxIds]), status: 'paid' }, { status: 'shipped', shippedAt: now });
      await this.compensate(tx, late, now);
      return shipped.affected ?? 0;
    });
  }

  /** 慢就赔: every paid box still not shipped a day after its ship-by time earns a credit, once (one shipped late before this ran: markShipped). */
  async compensateLate(): Promise<number> {
    let compensated = 0;
    for (;;) {
      const done = await this.deps.db.transaction(async (tx) => {
        const now = this.deps.clock.now();
        const late = await tx.find(BoxRow, {
          where: { status: 'paid', shippedAt: IsNull(), compensatedAt: IsNull(), shipByAt: LessThanOrEqual(lateIfShipByBefore(now)) },
          take: BATCH,
          lock: this.deps.db.rowLock(),
        });
        await this.compensate(tx, late, now);
        return late.length;
      });
      compensated += done;
      if (done < BATCH) return compensated;
    }
  }

  /** Credits each late box 20 % of its price, with its ledger entry, in the caller's transaction; a box already compensated is left alone. */
  private async compensate(tx: Tx, late: readonly BoxRow[], now: Date): Promise<void> {
    for (const box of late) {
      const moved = await tx.update(BoxRow, { id: box.id, compensatedAt: IsNull() }, { compensatedAt: now });
      if (moved.affected !== 1) continue;
      const credit = roundToFen(box.price.times(LATE_COMPENSATION_RATE));
      await this.deps.ledger.post(tx, {
        kind: 'box_compensated',
        refs: { boxId: box.id },
        lines: [
          { account: accounts.guaranteeExpense, amount: credit },
          { account: accounts.subscriberCredit(box.userId), amount: credit.negated() },
        ],
      });
      await this.deps.notifications.notify(tx, {
        userId: box.userId,
        kind: 'box_compensated',
        data: { boxId: box.id, deliveryDate: box.deliveryDate, credit: formatMoney(credit) },
      });
    }
  }

  /** Where the boxes and the ledger disagree (part of the reconcile command): a paid box is charged once, a compensated box credited once. */
  async violations(tx: Tx): Promise<string[]> {
    const charged = await this.deps.ledger.entriesPerBox(tx, 'box_charged');
    const compensated = await this.deps.ledger.entriesPerBox(tx, 'box_compensated');
    const inLedger = [...charged.keys(), ...compensated.keys()];
    const boxes = await tx.find(BoxRow, {
      select: { id: true, status: true, compensatedAt: true },
      where: [{ status: In(['paid', 'shipped']) }, ...(inLedger.length > 0 ? [{ id: In(inLedger) }] : [])],
    });
    const violations: string[] = [];
    for (const box of boxes) {
      const charges = charged.get(box.id) ?? 0;
      const wantCharges = ['paid', 'shipped'].includes(box.status) ? 1 : 0;
      if (charges !== wantCharges) violations.push(`box ${box.id} is ${box.status} and has ${charges} charge entries in the ledger`);
      const credits = compensated.get(box.id) ?? 0;
      if (credits !== (box.compensatedAt ? 1 : 0))
        violations.push(`box ${box.id} has ${credits} late-shipping credits in the ledger, compensated: ${box.compensatedAt !== null}`);
    }
    return violations;
  }

  /** The charge split: each orchard is owed the cost of its fruit in the box, the platform keeps the rest. */
  private async chargeLines(tx: Tx, box: BoxRow, amount: Decimal): Promise<{ account: string; amount: Decimal }[]> {
    const { items } = (await contentsOf(tx, [box])).get(box.contentsId)!;
    const fruits = new Map((await tx.find(FruitRow, { where: { id: In(items.map((i) => i.fruitId)) } })).map((f) => [f.id, f]));
    const owed = new Map<string, Decimal>();
    for (const item of items) {
      const orchardId = fruits.get(item.fruitId)?.orchardId;
      if (orchardId) owed.set(orchardId, (owed.get(orchardId) ?? ZERO).plus(parseMoney(item.cost)));
    }
    const toOrchards = [...owed.values()].reduce((total, cost) => total.plus(cost), ZERO);
    return [
      { account: accounts.gateway, amount },
      ...[...owed].map(([orchardId, cost]) => ({ account: accounts.factoryPayable(orchardId), amount: cost.negated() })),
      { account: accounts.platformFees, amount: amount.minus(toOrchards).negated() },
    ];
  }
}

/** A box whose ship-by time is at or before this is late at `now`: LATE_AFTER_MS have passed since. */
function lateIfShipByBefore(now: Date): Date {
  return new Date(now.getTime() - LATE_AFTER_MS);
}
