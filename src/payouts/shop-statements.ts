import { DateTime } from 'luxon';
import { type EntityTarget, type FindOptionsOrder, type FindOptionsWhere, In, IsNull } from 'typeorm';
import { COMMISSION_PAYABLE_PREFIX, PAYOUT_KIND, accounts, type LedgerService, type PostedEntry } from '../ledger';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { conflict, notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { newId } from '../platform/ids';
import { chunks } from '../platform/chunks';
import { type Decimal, formatMoney, fromFen, sum } from '../platform/money';
import { CommissionHoldRow, type HoldStatus, ShopStatementLineRow, ShopStatementRow } from './shop-statement.entity';

export const SHOP_STATEMENTS_JOB = 'payouts.make-shop-statements';
/** How far back a month's statement looks for entries no statement counts yet (an entry committed late, a job that did not run). */
const LOOK_BACK_MONTHS = 3;

/** What the payouts module needs to know of shops (the shops module's, handed over by app.ts). */
export interface ShopDirectory {
  /** The approved shop of a consumer, or null: who may set a payee and read statements. */
  approvedShopOf(userId: string): Promise<{ id: string } | null>;
  /** A shop's owner (whom its payouts are told to), name and code. */
  shop(tx: Tx, shopId: string): Promise<{ userId: string; name: string; code: string } | null>;
}

/** The figures of the concentration rule: a campaign's completed units, and those of one shop's customers (the pledges module's). */
export interface CompletedUnits {
  completedUnits(tx: Tx, campaignId: string, shopId: string): Promise<{ shop: number; total: number }>;
}

/** Tells every operator of held commission (app.ts: the notifications module), in the caller's transaction. */
export type HoldNotifier = (
  tx: Tx,
  notice: { shop: string; code: string; title: string; amount: string; shopUnits: number; totalUnits: number },
) => Promise<void>;

export interface ShopStatementSettings {
  /** A month's commission is settled (its statement made, payable) this many days after the month ends in China. */
  settleDays: number;
  /** The concentration rule: hold when one shop's customers bought more than this share of a campaign's completed units … */
  holdShare: Decimal;
  /** … and at least this many of them. */
  holdMinUnits: number;
}

/** What the dashboard reads of a shop owner's commission (docs/shop-owners.md § Pending, settled, paid). */
export interface ShopEarnings {
  totalsOf(shopId: string): Promise<CommissionTotals>;
}

/** A shop owner's commission, per contract: not yet final, settled and not yet paid, and paid out. */
export interface CommissionTotals {
  pending: Decimal;
  settled: Decimal;
  paid: Decimal;
  /** The part of `settled` on hold for an operator's review. */
  held: Decimal;
}

/**
 * A shop owner's monthly commission statements (docs/shop-owners.md § Statements): commission is pending while
 * the purchase that earned it can still be refunded; `settleDays` after a China month ends, a daily job states every
 * entry on each shop owner's commission payable posted before that month ended and not yet stated (the entry id is
 * the key of shop_statement_lines, so two runs, or two workers, state an entry once). A clawback posted later lands
 * on a later month's statement as a negative line. Commission on a campaign whose completed units came suspiciously
 * much from one shop owner's customers is held (the concentration rule) until an operator releases or voids it.
 */
export class ShopStatements {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      ledger: LedgerService;
      shops: ShopDirectory;
      units: CompletedUnits;
      campaignTitle: (tx: Tx, campaignId: string) => Promise<string>;
      notifyOperators: HoldNotifier;
      settings: ShopStatementSettings;
    },
  ) {}

  /** The latest China month whose commission is settled by `now`, and the instant that month ended. */
  settledMonth(now: Date): { period: string; end: Date } {
    const end = DateTime.fromJSDate(now, { zone: BUSINESS_TIME_ZONE }).minus({ days: this.deps.settings.settleDays }).startOf('month');
    return { period: end.minus({ months: 1 }).toFormat('yyyy-MM'), end: end.toJSDate() };
  }

  /** The daily job: the settled month's statement for each shop owner with entries not yet stated (none: nothing made). */
  async makeDue(): Promise<ShopStatementRow[]> {
    const { period, end } = this.settledMonth(this.deps.clock.now());
    const from = DateTime.fromJSDate(end, { zone: BUSINESS_TIME_ZONE })
      .minus({ months: LOOK_BACK_MONTHS + 1 })
      .toJSDate();
    return this.deps.db.transaction(async (tx) => {
      const posted = (await this.deps.ledger.entriesPostedBetween(tx, COMMISSION_PAYABLE_PREFIX, from, end)).filter((p) => p.entry.kind !== PAYOUT_KIND);
      const stated = new Set<string>();
      for (let i = 0; i < posted.length; i += 500) {
        const ids = posted.slice(i, i + 500).map((p) => p.entry.id);
        for (const row of await tx.find(ShopStatementLineRow, { select: { entryId: true }, where: { entryId: In(ids) } })) stated.add(row.entryId);
      }
      const byShop = new Map<string, { posted: PostedEntry; amount: Decimal }[]>();
      for (const p of posted.filter((e) => !stated.has(e.entry.id))) {
        // The ledger posts commission to one shop owner per entry.
        const line = p.lines.find((l) => l.account.startsWith(COMMISSION_PAYABLE_PREFIX))!;
        const shopId = line.account.slice(COMMISSION_PAYABLE_PREFIX.length);
        byShop.set(shopId, [...(byShop.get(shopId) ?? []), { posted: p, amount: line.amount.negated() }]);
      }
      const made: ShopStatementRow[] = [];
      for (const [shopId, entries] of [...byShop].sort(([a], [b]) => a.localeCompare(b))) made.push(await this.record(tx, shopId, period, entries));
      return made;
    });
  }

  private async record(tx: Tx, shopId: string, period: string, entries: { posted: PostedEntry; amount: Decimal }[]): Promise<ShopStatementRow> {
    const now = this.deps.clock.now();
    const statementId = newId();
    const lines = entries.map(({ posted: { entry }, amount }) =>
      Object.assign(new ShopStatementLineRow(), {
        entryId: entry.id,
        statementId,
        shopId,
        kind: entry.kind,
        campaignId: entry.campaignId,
        pledgeId: entry.pledgeId,
        boxId: entry.boxId,
        amount,
        postedAt: entry.createdAt,
        holdId: null as string | null,
        payoutId: null,
      }),
    );
    const holds = await this.hold(tx, shopId, lines);
    const total = (pick: (l: ShopStatementLineRow) => boolean) => sum(lines.filter(pick).map((l) => l.amount));
    const statement = Object.assign(new ShopStatementRow(), {
      id: statementId,
      shopId,
      period,
      sequence: (await tx.count(ShopStatementRow, { where: { shopId, period } })) + 1,
      commission: total((l) => l.kind === 'commission_earned'),
      rebates: total((l) => l.kind === 'self_purchase_rebate'),
      clawedBack: total((l) => l.kind !== 'commission_earned' && l.kind !== 'self_purchase_rebate').negated(),
      net: total(() => true),
      held: total((l) => l.holdId !== null && holds.get(l.holdId) === 'held'),
      lineCount: lines.length,
      createdAt: now,
    });
    await tx.insert(ShopStatementRow, statement);
    await this.deps.db.insertEntities(tx, ShopStatementLineRow, lines);
    return statement;
  }

  /**
   * The concentration rule, per campaign of the new lines: lines of a campaign whose hold is still open join it; a
   * voided hold's own void entry joins it (never paid); otherwise, where the campaign's new lines earn more than
   * zero and the shop owner's customers bought more than `holdShare` of its completed units and at least
   * `holdMinUnits`, a new hold takes them and every operator is told. Sets each line's holdId; answers the status of each hold used.
   */
  private async hold(tx: Tx, shopId: string, lines: ShopStatementLineRow[]): Promise<Map<string, HoldStatus>> {
    const statuses = new Map<string, HoldStatus>();
    const voids = lines.filter((l) => l.kind === 'commission_voided');
    const voided = voids.length ? await tx.find(CommissionHoldRow, { where: { voidEntryId: In(voids.map((l) => l.entryId)) } }) : [];
    for (const hold of voided) {
      lines.find((l) => l.entryId === hold.voidEntryId)!.holdId = hold.id;
      statuses.set(hold.id, hold.status);
    }
    // A line of a pledge whose commission sits in a voided hold (its void entry, a clawback posted before the void)
    // joins that hold: what it nets against was never paid, so it is not netted against other earnings either.
    const pledgeIds = [...new Set(lines.filter((l) => l.pledgeId && !l.holdId).map((l) => l.pledgeId!))];
    for (const ids of chunks(pledgeIds, 500)) {
      const inVoided = await tx
        .createQueryBuilder(ShopStatementLineRow, 'l')
        .innerJoin(CommissionHoldRow, 'h', 'h.id = l.hold_id')
        .select('l.pledge_id', 'pledgeId')
        .addSelect('h.id', 'holdId')
        .where("l.shop_id = :shopId AND h.status = 'voided' AND l.pledge_id IN (:...ids)", { shopId, ids })
        .getRawMany<{ pledgeId: string; holdId: string }>();
      const holdOf = new Map(inVoided.map((r) => [r.pledgeId, r.holdId]));
      for (const line of lines.filter((l) => !l.holdId && l.pledgeId && holdOf.has(l.pledgeId))) {
        line.holdId = holdOf.get(line.pledgeId!)!;
        statuses.set(line.holdId, 'voided');
      }
    }
    const { holdShare, holdMinUnits } = this.deps.settings;
    const campaignIds = [...new Set(lines.filter((l) => l.campaignId && !l.holdId).map((l) => l.campaignId!))].sort();
    for (const campaignId of campaignIds) {
      const ofCampaign = lines.filter((l) => l.campaignId === campaignId && !l.holdId);
      const amount = sum(ofCampaign.map((l) => l.amount));
      const open = await tx.findOne(CommissionHoldRow, { where: { shopId, campaignId, status: 'held' }, lock: this.deps.db.rowLock() });
      let hold: CommissionHoldRow | null = null;
      if (open) {
        await tx.update(CommissionHoldRow, { id: open.id }, { amount: open.amount.plus(amount) });
        hold = open;
      } else if (amount.greaterThan(0)) {
        const units = await this.deps.units.completedUnits(tx, campaignId, shopId);
        if (units.shop >= holdMinUnits && units.total > 0 && holdShare.times(units.total).lessThan(units.shop)) {
          hold = Object.assign(new CommissionHoldRow(), {
            id: newId(),
            shopId,
            campaignId,
            status: 'held' as const,
            amount,
            shopUnits: units.shop,
            totalUnits: units.total,
            createdAt: this.deps.clock.now(),
            decidedBy: null,
            decidedAt: null,
            reason: null,
            voidEntryId: null,
          });
          await tx.insert(CommissionHoldRow, hold);
          const shop = await this.deps.shops.shop(tx, shopId);
          await this.deps.notifyOperators(tx, {
            shop: shop?.name ?? shopId,
            code: shop?.code ?? '',
            title: await this.deps.campaignTitle(tx, campaignId),
            amount: formatMoney(amount),
            shopUnits: units.shop,
            totalUnits: units.total,
          });
        }
      }
      if (!hold) continue;
      for (const line of ofCampaign) line.holdId = hold.id;
      statuses.set(hold.id, 'held');
    }
    return statuses;
  }

  /** An operator lets held commission be paid: its lines go into the next payout batch. Once: a decided hold is a 409. */
  async release(operatorId: string, holdId: string, reason: string | null): Promise<CommissionHoldRow> {
    return this.decide(holdId, async (tx, hold) => {
      const change = { status: 'released' as const, decidedBy: operatorId, decidedAt: this.deps.clock.now(), reason };
      await tx.update(CommissionHoldRow, { id: hold.id }, change);
      return Object.assign(hold, change);
    });
  }

  /**
   * An operator voids held commission: per pledge of the hold, a `commission_voided` entry takes back from the shop
   * owner's payable to the platform what that pledge's entries still leave owed (the ledger's figure, in the same
   * transaction: a clawback posted since the statement has already taken its part). Named by its pledge, it leaves
   * nothing for a later refund of that pledge to claw back a second time. The held lines are never paid.
   */
  async void(operatorId: string, holdId: string, reason: string): Promise<CommissionHoldRow> {
    return this.decide(holdId, async (tx, hold) => {
      if (!hold.amount.greaterThan(0))
        throw conflict('hold_nothing_to_void', '这笔暂扣的佣金不大于零，无可作废。 The held commission is not more than zero: nothing to void (release it).');
      const payable = accounts.commissionPayable(hold.shopId);
      const held = await tx.find(ShopStatementLineRow, { select: { pledgeId: true }, where: { holdId: hold.id } });
      const pledgeIds = [...new Set(held.map((l) => l.pledgeId).filter((id): id is string => id !== null))].sort();
      const balances = await this.deps.ledger.balancesOfPledges(tx, payable, pledgeIds);
      const voids = pledgeIds.flatMap((pledgeId) => {
        const owed = balances.get(pledgeId)?.negated();
        if (!owed?.greaterThan(0)) return [];
        const lines = [
          { account: payable, amount: owed },
          { account: accounts.commissionExpense, amount: owed.negated() },
        ];
        return [{ kind: 'commission_voided' as const, refs: { campaignId: hold.campaignId, pledgeId }, lines }];
      });
      // In slices: one multi-row INSERT each, within the databases' limits on bound values.
      const posted: string[] = [];
      for (const slice of chunks(voids, 500)) posted.push(...(await this.deps.ledger.postMany(tx, slice)));
      const voidEntryId = posted[0] ?? null;
      const change = { status: 'voided' as const, decidedBy: operatorId, decidedAt: this.deps.clock.now(), reason, voidEntryId };
      await tx.update(CommissionHoldRow, { id: hold.id }, change);
      return Object.assign(hold, change);
    });
  }

  private async decide(holdId: string, change: (tx: Tx, hold: CommissionHoldRow) => Promise<CommissionHoldRow>): Promise<CommissionHoldRow> {
    return this.deps.db.transaction(async (tx) => {
      const hold = await tx.findOne(CommissionHoldRow, { where: { id: holdId }, lock: this.deps.db.rowLock() });
      if (!hold) throw notFound('The commission hold');
      if (hold.status !== 'held') throw conflict('hold_decided', `这笔暂扣已经处理过了（${hold.status}）。 The hold was already decided (${hold.status}).`);
      return change(tx, hold);
    });
  }

  async holds(query: PageQuery & { status?: HoldStatus }): Promise<{ items: CommissionHoldRow[]; total: number }> {
    return this.newestFirst(CommissionHoldRow, query.status ? { status: query.status } : {}, query);
  }

  async list(query: PageQuery & { shopId?: string }): Promise<{ items: ShopStatementRow[]; total: number }> {
    return this.newestFirst(ShopStatementRow, query.shopId ? { shopId: query.shopId } : {}, query);
  }

  private async newestFirst<T extends { createdAt: Date; id: string }>(
    entity: EntityTarget<T>,
    where: FindOptionsWhere<T>,
    page: PageQuery,
  ): Promise<{ items: T[]; total: number }> {
    const order = { createdAt: 'DESC', id: 'DESC' } as FindOptionsOrder<T>;
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(entity, { where, order, skip: page.offset, take: page.limit }));
    return { items, total };
  }

  /** A statement, of `shopId` only when given (a shop owner's own): another's is "not found". */
  async get(statementId: string, shopId?: string): Promise<ShopStatementRow> {
    const statement = await this.deps.db.read((tx) => tx.findOneBy(ShopStatementRow, { id: statementId }));
    if (!statement || (shopId !== undefined && statement.shopId !== shopId)) throw notFound('The statement');
    return statement;
  }

  /** A statement's lines (a page, or all of them), each with the status of its hold. */
  async lines(
    statementId: string,
    shopId: string | undefined,
    page?: PageQuery,
  ): Promise<{ statement: ShopStatementRow; items: { line: ShopStatementLineRow; hold: HoldStatus | null }[] }> {
    const statement = await this.get(statementId, shopId);
    const items = await this.deps.db.read(async (tx) => {
      const lines = await tx.find(ShopStatementLineRow, {
        where: { statementId },
        order: { postedAt: 'ASC', entryId: 'ASC' },
        ...(page ? { skip: page.offset, take: page.limit } : {}),
      });
      const holdIds = [...new Set(lines.flatMap((l) => (l.holdId ? [l.holdId] : [])))];
      const holds = holdIds.length ? await tx.find(CommissionHoldRow, { select: { id: true, status: true }, where: { id: In(holdIds) } }) : [];
      return lines.map((line) => ({ line, hold: holds.find((h) => h.id === line.holdId)?.status ?? null }));
    });
    return { statement, items };
  }

  /** For payout batches: per shop owner, the stated lines no payout pays yet and no open or voided hold keeps back, row-locked. */
  async unpaidByShop(tx: Tx): Promise<Map<string, ShopStatementLineRow[]>> {
    const lines = await tx.find(ShopStatementLineRow, { where: { payoutId: IsNull() }, order: { entryId: 'ASC' }, lock: this.deps.db.rowLock() });
    const holdIds = [...new Set(lines.flatMap((l) => (l.holdId ? [l.holdId] : [])))];
    const released = new Set(
      holdIds.length ? (await tx.find(CommissionHoldRow, { select: { id: true }, where: { id: In(holdIds), status: 'released' } })).map((h) => h.id) : [],
    );
    const byShop = new Map<string, ShopStatementLineRow[]>();
    for (const line of lines.filter((l) => l.holdId === null || released.has(l.holdId))) byShop.set(line.shopId, [...(byShop.get(line.shopId) ?? []), line]);
    return byShop;
  }

  /** A payout claims lines, with a conditional update: answers how many it got (fewer: another batch took some meanwhile). */
  async claim(tx: Tx, entryIds: readonly string[], payoutId: string): Promise<number> {
    let claimed = 0;
    for (let i = 0; i < entryIds.length; i += 500)
      claimed += (await tx.update(ShopStatementLineRow, { entryId: In(entryIds.slice(i, i + 500)), payoutId: IsNull() }, { payoutId })).affected ?? 0;
    return claimed;
  }

  /** The statements whose lines a payout pays. */
  async statementIdsPaidBy(tx: Tx, payoutId: string): Promise<string[]> {
    const rows = await tx
      .createQueryBuilder(ShopStatementLineRow, 'l')
      .select('DISTINCT l.statement_id', 'statementId')
      .where('l.payout_id = :payoutId', { payoutId })
      .orderBy('l.statement_id')
      .getRawMany<{ statementId: string }>();
    return rows.map((r) => r.statementId);
  }

  /**
   * ShopEarnings.totalsOf (the contract the dashboard reads): paid = confirmed payouts; settled = stated lines not
   * yet paid out (held ones included, and shown apart); pending = what the ledger owes beyond what is stated.
   * Lines of a voided hold are never paid: they are not settled money to come. Left out, a void shows at once as
   * nothing settled (before, until its own entry was stated a month later, the voided amount showed as settled and
   * the same amount as negative pending).
   */
  async totalsOf(shopId: string, paidOut: (tx: Tx) => Promise<Decimal>): Promise<CommissionTotals> {
    return this.deps.db.read(async (tx) => {
      const owed = (await this.deps.ledger.balance(tx, accounts.commissionPayable(shopId))).negated();
      const paid = await paidOut(tx);
      const row = await tx
        .createQueryBuilder(ShopStatementLineRow, 'l')
        .leftJoin(CommissionHoldRow, 'h', 'h.id = l.hold_id')
        .select("COALESCE(SUM(CASE WHEN h.status IS NULL OR h.status <> 'voided' THEN l.amount_fen ELSE 0 END), 0)", 'stated')
        .addSelect("COALESCE(SUM(CASE WHEN h.status = 'held' THEN l.amount_fen ELSE 0 END), 0)", 'held')
        .where('l.shop_id = :shopId', { shopId })
        .getRawOne<{ stated: string | number; held: string | number }>();
      const stated = fromFen(String(row?.stated ?? 0));
      const settled = stated.minus(paid);
      return { pending: owed.minus(settled), settled, paid, held: fromFen(String(row?.held ?? 0)) };
    });
  }
}
