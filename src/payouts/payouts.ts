import { In, IsNull } from 'typeorm';
import { accounts, FACTORY_PAYABLE_PREFIX, PAYOUT_KIND, type LedgerService } from '../ledger';
import type { Clock } from '../platform/clock';
import type { NotificationService } from '../notifications';
import type { Database, Tx } from '../platform/database';
import { conflict, notFound, unprocessable } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { canActForFactory, type Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { type Decimal, ZERO, formatMoney, fromFen, sum } from '../platform/money';
import type { FactoryNotifier } from './factory-notifier';
import { type PayoutGateway, type PayoutResult, bankFile } from './payout-gateway';
import { type BankAccount, PayeeRow, PayoutBatchRow, type PayoutMethod, PayoutRow, ShopPayeeRow } from './payout.entity';
import type { ShopDirectory, ShopStatements } from './shop-statements';
import { StatementRow } from './statement.entity';

export const SEND_PAYOUT_JOB = 'payouts.send';
export const CHECK_PAYOUT_JOB = 'payouts.check';
/** How long after sending the provider is first asked whether a transfer arrived. */
const CHECK_AFTER_MS = 60_000;

/** What each factory is owed and where its money stands. */
export interface Payable {
  factoryId: string;
  /** Statements not yet in a payout (may be negative: a factory that owes compensation). */
  unpaidStatements: Decimal;
  /** Payouts approved or created and not yet confirmed. */
  inFlight: Decimal;
  paidOut: Decimal;
}

/** Whom a payout pays: a factory, or a shop owner (their shop). */
export type Payee = { factoryId: string; shopId: null } | { factoryId: null; shopId: string };
const payeeOf = (p: PayoutRow): Payee => (p.shopId ? { factoryId: null, shopId: p.shopId } : { factoryId: p.factoryId!, shopId: null });

/** What one payee is owed, and how a payout claims it (their statements, or their statement lines). */
interface Owed {
  payee: Payee;
  amount: Decimal;
  claim(tx: Tx, payoutId: string): Promise<void>;
}

const taken = () => conflict('statements_taken', 'Another payout batch took these statements meanwhile; make the batch again.');

/**
 * Payouts: an operator makes a batch of what is owed (one payout per factory, paying its statements not yet
 * paid, and one per shop owner, paying their statement lines not yet paid nor held) and approves it; a job sends each payout through the chosen payout gateway; a sent payout is
 * confirmed (by asking the provider, or by an operator from the bank's record) and only then does the
 * ledger move the factory's payable to paid, in the transaction that confirms it. A statement is claimed
 * by one payout with a conditional update, and a batch approved with one: no statement is paid twice,
 * whatever the concurrency.
 */
export class Payouts {
  constructor(
    private readonly deps: {
      db: Database;
      jobs: Jobs;
      clock: Clock;
      ledger: LedgerService;
      gateways: ReadonlyMap<PayoutMethod, PayoutGateway>;
      notifier: FactoryNotifier;
      shopStatements: ShopStatements;
      shops: ShopDirectory;
      notifications: NotificationService;
    },
  ) {}

  /** Tells a payee of its payout: every portal user of a factory, or the shop owner. */
  private async tell(tx: Tx, payee: Payee, kind: 'payout_sent' | 'payout_confirmed', amount: Decimal): Promise<void> {
    const data = { amount: formatMoney(amount) };
    if (payee.shopId === null) return this.deps.notifier.notify(tx, payee.factoryId, { kind, data });
    const shop = await this.deps.shops.shop(tx, payee.shopId);
    if (shop) await this.deps.notifications.notifyMany(tx, [{ userId: shop.userId, kind, data }]);
  }

  private async payeeAccount(tx: Tx, payee: Payee): Promise<BankAccount | null> {
    return payee.shopId === null ? tx.findOneBy(PayeeRow, { factoryId: payee.factoryId }) : tx.findOneBy(ShopPayeeRow, { shopId: payee.shopId });
  }

  /** Every factory's unpaid statements and every shop owner's payable statement lines, per payee, whose sum is owed (more than zero). */
  private async owed(tx: Tx): Promise<Owed[]> {
    const unpaid = await tx.find(StatementRow, { where: { payoutId: IsNull() }, order: { id: 'ASC' }, lock: this.deps.db.rowLock() });
    const byFactory = new Map<string, StatementRow[]>();
    for (const s of unpaid) byFactory.set(s.factoryId, [...(byFactory.get(s.factoryId) ?? []), s]);
    const unstated = await this.owedUnstated(tx);
    const factories = [...byFactory]
      // An entry taking money back from a factory (an after-sale refund) not yet on a statement: paying its statements
      // would pay more than the ledger owes it. It waits for its next statement, which nets the entry.
      .filter(([factoryId]) => !(unstated.get(factoryId) ?? ZERO).isNegative())
      .map(([factoryId, statements]): Owed => ({
        payee: { factoryId, shopId: null },
        amount: sum(statements.map((s) => s.net)),
        claim: async (claimTx, payoutId) => {
          const ids = statements.map((s) => s.id);
          const claimed = await claimTx.update(StatementRow, { id: In(ids), payoutId: IsNull() }, { payoutId });
          // The row locks (MySQL) or the single writer (SQLite) make this hold; a miss means another batch took them.
          if (claimed.affected !== ids.length) throw taken();
        },
      }));
    const shops = [...(await this.deps.shopStatements.unpaidByShop(tx))].map(([shopId, lines]): Owed => ({
      payee: { factoryId: null, shopId },
      amount: sum(lines.map((l) => l.amount)),
      claim: async (claimTx, payoutId) => {
        const ids = lines.map((l) => l.entryId);
        if ((await this.deps.shopStatements.claim(claimTx, ids, payoutId)) !== ids.length) throw taken();
      },
    }));
    return [...factories, ...shops].filter((o) => o.amount.greaterThan(0));
  }

  /**
   * Per factory, what the ledger owes it beyond its statements: its payable, less its statements not yet paid and
   * its payouts not yet confirmed (still on the payable until confirmed). Positive while an entry (a fruit box
   * charged this week) awaits its statement; negative while a refund does.
   */
  private async owedUnstated(tx: Tx): Promise<Map<string, Decimal>> {
    const payable = await this.deps.ledger.balances(tx, FACTORY_PAYABLE_PREFIX);
    const stated = await tx
      .createQueryBuilder(StatementRow, 's')
      .select('s.factory_id', 'factoryId')
      .addSelect('SUM(s.net_fen)', 'fen')
      .leftJoin(PayoutRow, 'p', 'p.id = s.payout_id')
      .where("s.payout_id IS NULL OR p.status <> 'confirmed'")
      .groupBy('s.factory_id')
      .getRawMany<{ factoryId: string; fen: string | number }>();
    return new Map(stated.map((r) => [r.factoryId, (payable.get(accounts.factoryPayable(r.factoryId)) ?? ZERO).negated().minus(fromFen(String(r.fen)))]));
  }

  /**
   * A batch of every factory's unpaid statements and every shop owner's payable statement lines whose sum is owed to
   * them; a payee whose sum is zero or less waits.
   */
  async createBatch(operatorId: string, batchId: string): Promise<{ batch: PayoutBatchRow; payouts: PayoutRow[] }> {
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const owed = await this.owed(tx);
      if (owed.length === 0) throw conflict('nothing_to_pay', 'No factory or shop owner is owed anything that is not already in a payout.');
      const payouts = owed.map(({ payee, amount }) =>
        Object.assign(new PayoutRow(), {
          id: newId(),
          batchId,
          ...payee,
          amount,
          status: 'pending' as const,
          method: null,
          reference: null,
          attempts: 0,
          lastError: null,
          createdAt: now,
          updatedAt: now,
          confirmedAt: null,
        }),
      );
      const batch = Object.assign(new PayoutBatchRow(), {
        id: batchId,
        status: 'awaiting_approval' as const,
        method: null,
        total: sum(payouts.map((p) => p.amount)),
        payoutCount: payouts.length,
        createdBy: operatorId,
        createdAt: now,
        approvedBy: null,
        approvedAt: null,
      });
      await tx.insert(PayoutBatchRow, batch);
      await this.deps.db.insertEntities(tx, PayoutRow, payouts);
      for (const [i, payout] of payouts.entries()) await owed[i].claim(tx, payout.id);
      return { batch, payouts };
    });
  }

  /** Approves a batch once: its payouts go out through `method`. A second approval, however simultaneous, is a 409. */
  async approve(operatorId: string, batchId: string, method: PayoutMethod): Promise<{ batch: PayoutBatchRow; payouts: PayoutRow[] }> {
    if (!this.deps.gateways.has(method)) throw unprocessable('payout_method_unavailable', `Payouts by ${method} are not available on this server.`);
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      if (!(await tx.existsBy(PayoutBatchRow, { id: batchId }))) throw notFound('The payout batch');
      const approved = await tx.update(
        PayoutBatchRow,
        { id: batchId, status: 'awaiting_approval' },
        { status: 'approved', method, approvedBy: operatorId, approvedAt: now },
      );
      if (approved.affected !== 1) throw conflict('batch_already_approved', 'This payout batch has already been approved.');
      await tx.update(PayoutRow, { batchId }, { method, updatedAt: now });
      const payouts = await tx.find(PayoutRow, { where: { batchId }, order: { factoryId: 'ASC', shopId: 'ASC' } });
      await this.deps.jobs.enqueueMany(
        tx,
        SEND_PAYOUT_JOB,
        payouts.map((p) => ({ payload: { payoutId: p.id }, key: `${p.id}:1` })),
      );
      return { batch: (await tx.findOneByOrFail(PayoutBatchRow, { id: batchId }))!, payouts };
    });
  }

  /**
   * The send job: hands a pending (or failed) payout to its gateway, outside any transaction, then records the
   * answer. Throws when the gateway declined, so the job retries with back-off; the provider is asked with the
   * same payout and attempt until an answer is recorded, so a retry after a lost answer never pays twice.
   */
  async send(payoutId: string): Promise<void> {
    const payout = await this.deps.db.read((tx) => tx.findOneBy(PayoutRow, { id: payoutId, status: In(['pending', 'failed']) }));
    if (!payout || !payout.method) return;
    const gateway = this.deps.gateways.get(payout.method)!;
    const payee = await this.deps.db.read((tx) => this.payeeAccount(tx, payeeOf(payout)));
    const result = await gateway
      .send({ payoutId, attempt: payout.attempts + 1, ...payeeOf(payout), amount: payout.amount, payee })
      .catch((error: unknown): PayoutResult => ({
        ok: false,
        reason: `no answer from the payout provider: ${error instanceof Error ? error.message : String(error)}`,
      }));
    await this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const moved = await tx.update(
        PayoutRow,
        { id: payoutId, status: payout.status, attempts: payout.attempts },
        result.ok
          ? { status: 'sent', reference: result.reference, attempts: payout.attempts + 1, lastError: null, updatedAt: now }
          : { status: 'failed', attempts: payout.attempts + 1, lastError: result.reason.slice(0, 255), updatedAt: now },
      );
      // Another run recorded an answer meanwhile: that one stands.
      if (moved.affected !== 1 || !result.ok) return;
      await this.tell(tx, payeeOf(payout), 'payout_sent', payout.amount);
      if (gateway.status)
        await this.deps.jobs.enqueue(tx, CHECK_PAYOUT_JOB, { payoutId }, { runAt: new Date(now.getTime() + CHECK_AFTER_MS), key: result.reference });
    });
    if (!result.ok) throw new Error(`payout ${payoutId} was not sent: ${result.reason}`);
  }

  /** The check job: asks the provider about a sent payout; still on its way, the job runs again later. */
  async check(payoutId: string): Promise<void> {
    const payout = await this.deps.db.read((tx) => tx.findOneBy(PayoutRow, { id: payoutId }));
    if (!payout || payout.status !== 'sent' || !payout.reference) return;
    const status = await this.deps.gateways.get(payout.method!)!.status!(payout.reference);
    if (status === 'confirmed') await this.confirm(payoutId);
    // A returned transfer (no such account, name not matching) fails the same way when sent again: it waits
    // for an operator to fix the payee and retry, rather than being sent again and again by itself.
    else if (status === 'failed') await this.fail(payoutId, 'returned by the bank');
    else throw new Error(`payout ${payoutId} is still on its way`);
  }

  /**
   * A sent payout arrived: the ledger moves the amount from the factory's payable (or the shop owner's commission
   * payable) to paid (out of the money we hold), in the transaction that marks it confirmed. Confirming again changes nothing.
   */
  async confirm(payoutId: string): Promise<PayoutRow> {
    return this.deps.db.transaction(async (tx) => {
      const payout = await tx.findOne(PayoutRow, { where: { id: payoutId }, lock: this.deps.db.rowLock() });
      if (!payout) throw notFound('The payout');
      if (payout.status === 'confirmed') return payout;
      if (payout.status !== 'sent') throw conflict('payout_not_sent', `A ${payout.status} payout cannot be confirmed: only a sent one can.`);
      const now = this.deps.clock.now();
      const moved = await tx.update(PayoutRow, { id: payoutId, status: 'sent' }, { status: 'confirmed', confirmedAt: now, updatedAt: now });
      if (moved.affected !== 1) throw new Error(`payout ${payoutId} changed under its lock`);
      await this.deps.ledger.post(tx, {
        kind: PAYOUT_KIND,
        refs: { payoutId },
        lines: [
          { account: payout.shopId ? accounts.commissionPayable(payout.shopId) : accounts.factoryPayable(payout.factoryId!), amount: payout.amount },
          { account: accounts.gateway, amount: payout.amount.negated() },
        ],
      });
      await this.tell(tx, payeeOf(payout), 'payout_confirmed', payout.amount);
      return Object.assign(payout, { status: 'confirmed', confirmedAt: now, updatedAt: now });
    });
  }

  /** A sent payout did not arrive (the bank returned it, or its file was rejected): an operator retries it, once the cause is fixed. */
  async fail(payoutId: string, reason: string): Promise<PayoutRow> {
    return this.deps.db.transaction(async (tx) => {
      const payout = await tx.findOne(PayoutRow, { where: { id: payoutId }, lock: this.deps.db.rowLock() });
      if (!payout) throw notFound('The payout');
      if (payout.status !== 'sent') throw conflict('payout_not_sent', `A ${payout.status} payout cannot fail: only a sent one can.`);
      const now = this.deps.clock.now();
      await tx.update(PayoutRow, { id: payoutId, status: 'sent' }, { status: 'failed', lastError: reason.slice(0, 255), updatedAt: now });
      return Object.assign(payout, { status: 'failed', lastError: reason, updatedAt: now });
    });
  }

  /** An operator sends a failed payout again (after its retries ran out, or after fixing the factory's bank details). */
  async retry(payoutId: string): Promise<PayoutRow> {
    return this.deps.db.transaction(async (tx) => {
      const payout = await tx.findOne(PayoutRow, { where: { id: payoutId }, lock: this.deps.db.rowLock() });
      if (!payout) throw notFound('The payout');
      if (payout.status !== 'failed') throw conflict('payout_not_failed', `A ${payout.status} payout cannot be retried: only a failed one can.`);
      await this.deps.jobs.enqueue(tx, SEND_PAYOUT_JOB, { payoutId }, { key: `${payoutId}:${payout.attempts + 1}:operator` });
      return payout;
    });
  }

  async listBatches(page: PageQuery): Promise<{ items: PayoutBatchRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(PayoutBatchRow, { order: { createdAt: 'DESC', id: 'DESC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  async batch(batchId: string): Promise<{ batch: PayoutBatchRow; payouts: PayoutRow[] }> {
    return this.deps.db.read(async (tx) => {
      const batch = await tx.findOneBy(PayoutBatchRow, { id: batchId });
      if (!batch) throw notFound('The payout batch');
      return { batch, payouts: await tx.find(PayoutRow, { where: { batchId }, order: { factoryId: 'ASC', shopId: 'ASC' } }) };
    });
  }

  /** The batch's bank file: its bank-file payouts that are sent (awaiting the bank), with their payees. */
  async bankFile(batchId: string): Promise<string> {
    const { payouts } = await this.batch(batchId);
    const inFile = payouts.filter((p) => p.method === 'bank_file' && p.status === 'sent');
    const payees = await this.deps.db.read(async (tx) => Promise.all(inFile.map((p) => this.payeeAccount(tx, payeeOf(p)))));
    return bankFile(inFile.map((payout, i) => ({ payout, payee: payees[i]! })));
  }

  async list(actor: Principal, query: PageQuery & { factoryId?: string }): Promise<{ items: PayoutRow[]; total: number }> {
    const factoryId = actor.role === 'factory' ? actor.factoryId : query.factoryId;
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(PayoutRow, { where: factoryId ? { factoryId } : {}, order: { createdAt: 'DESC', id: 'DESC' }, skip: query.offset, take: query.limit }),
    );
    return { items, total };
  }

  async get(actor: Principal, payoutId: string): Promise<{ payout: PayoutRow; statementIds: string[] }> {
    return this.deps.db.read(async (tx) => {
      const payout = await tx.findOneBy(PayoutRow, { id: payoutId });
      if (!payout || !canActForFactory(actor, payout.factoryId ?? '')) throw notFound('The payout');
      if (payout.shopId) return { payout, statementIds: await this.deps.shopStatements.statementIdsPaidBy(tx, payoutId) };
      const statements = await tx.find(StatementRow, { select: { id: true }, where: { payoutId }, order: { createdAt: 'ASC', id: 'ASC' } });
      return { payout, statementIds: statements.map((s) => s.id) };
    });
  }

  /** What is owed to whom: per factory, statements not yet paid, payouts on their way, and paid. */
  async payables(): Promise<Payable[]> {
    return this.deps.db.read(async (tx) => {
      const unpaid = await tx
        .createQueryBuilder(StatementRow, 's')
        .select('s.factory_id', 'factoryId')
        .addSelect('SUM(s.net_fen)', 'fen')
        .where('s.payout_id IS NULL')
        .groupBy('s.factory_id')
        .getRawMany<{ factoryId: string; fen: string | number }>();
      const payouts = await tx
        .createQueryBuilder(PayoutRow, 'p')
        .select('p.factory_id', 'factoryId')
        .addSelect("SUM(CASE WHEN p.status = 'confirmed' THEN p.amount_fen ELSE 0 END)", 'paid')
        .addSelect("SUM(CASE WHEN p.status = 'confirmed' THEN 0 ELSE p.amount_fen END)", 'inFlight')
        .where('p.factory_id IS NOT NULL')
        .groupBy('p.factory_id')
        .getRawMany<{ factoryId: string; paid: string | number; inFlight: string | number }>();
      const factories = [...new Set([...unpaid.map((r) => r.factoryId), ...payouts.map((r) => r.factoryId)])].sort();
      return factories.map((factoryId) => {
        const u = unpaid.find((r) => r.factoryId === factoryId);
        const p = payouts.find((r) => r.factoryId === factoryId);
        return {
          factoryId,
          unpaidStatements: u ? fromFen(String(u.fen)) : ZERO,
          inFlight: p ? fromFen(String(p.inFlight)) : ZERO,
          paidOut: p ? fromFen(String(p.paid)) : ZERO,
        };
      });
    });
  }

  /** Where a factory is paid (its bank account). */
  async setPayee(factoryId: string, payee: Omit<PayeeRow, 'factoryId' | 'updatedAt'>, factoryExists: (tx: Tx) => Promise<boolean>): Promise<PayeeRow> {
    return this.deps.db.transaction(async (tx) => {
      if (!(await factoryExists(tx))) throw notFound('The factory');
      const row = Object.assign(new PayeeRow(), { factoryId, ...payee, updatedAt: this.deps.clock.now() });
      // One upsert statement, as commission rates: a read-then-insert let two saves at once both insert (a 500).
      await tx.upsert(PayeeRow, row, ['factoryId']);
      return row;
    });
  }

  async payee(actor: Principal, factoryId: string): Promise<PayeeRow> {
    const payee = canActForFactory(actor, factoryId) ? await this.deps.db.read((tx) => tx.findOneBy(PayeeRow, { factoryId })) : null;
    if (!payee) throw notFound('The payee');
    return payee;
  }

  /** For reconcile: confirmed payouts per factory. */
  async paidOutByFactory(tx: Tx): Promise<Map<string, Decimal>> {
    return this.paidOutBy(tx, 'factory_id');
  }

  /** For reconcile and a shop owner's totals: confirmed payouts per shop owner (their shop). */
  async paidOutByShop(tx: Tx, shopId?: string): Promise<Map<string, Decimal>> {
    return this.paidOutBy(tx, 'shop_id', shopId);
  }

  private async paidOutBy(tx: Tx, column: 'factory_id' | 'shop_id', id?: string): Promise<Map<string, Decimal>> {
    const query = tx
      .createQueryBuilder(PayoutRow, 'p')
      .select(`p.${column}`, 'payee')
      .addSelect('SUM(p.amount_fen)', 'fen')
      .where(`p.status = 'confirmed' AND p.${column} IS NOT NULL`);
    if (id) query.andWhere(`p.${column} = :id`, { id });
    const rows = await query.groupBy(`p.${column}`).getRawMany<{ payee: string; fen: string | number }>();
    return new Map(rows.map((r) => [r.payee, fromFen(String(r.fen))]));
  }

  /** Where a shop owner is paid: set by the shop owner themself. */
  async setShopPayee(shopId: string, payee: Omit<ShopPayeeRow, 'shopId' | 'updatedAt'>): Promise<ShopPayeeRow> {
    const row = Object.assign(new ShopPayeeRow(), { shopId, ...payee, updatedAt: this.deps.clock.now() });
    await this.deps.db.transaction((tx) => tx.upsert(ShopPayeeRow, row, ['shopId']));
    return row;
  }

  async shopPayee(shopId: string): Promise<ShopPayeeRow | null> {
    return this.deps.db.read((tx) => tx.findOneBy(ShopPayeeRow, { shopId }));
  }

  /** For reconcile: each payout pays exactly the statements (a factory's) or statement lines (a shop owner's) it claimed. */
  async violations(tx: Tx): Promise<string[]> {
    const claimed =
      '(SELECT COALESCE(SUM(s.net_fen), 0) FROM factory_statements s WHERE s.payout_id = p.id) + ' +
      '(SELECT COALESCE(SUM(l.amount_fen), 0) FROM shop_statement_lines l WHERE l.payout_id = p.id)';
    const rows = await tx
      .createQueryBuilder(PayoutRow, 'p')
      .select('p.id', 'id')
      .addSelect('p.amount_fen', 'amount')
      .addSelect(claimed, 'statements')
      .where(`p.amount_fen <> ${claimed}`)
      .getRawMany<{ id: string; amount: string | number; statements: string | number }>();
    return rows.map(
      (r) => `payout ${r.id} is for ${formatMoney(fromFen(String(r.amount)))}, its statements add up to ${formatMoney(fromFen(String(r.statements)))}`,
    );
  }
}
