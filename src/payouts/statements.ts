import { In, IsNull } from 'typeorm';
import { z } from 'zod';
import type { CampaignService } from '../campaigns';
import { FACTORY_PAYABLE_PREFIX, accounts, type LedgerService, type PostedEntry } from '../ledger';
import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE, isoWeekOf } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { canActForFactory, type Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import type { Logger } from '../platform/logger';
import { type Decimal, ZERO, formatMoney, sum } from '../platform/money';
import type { FactoryNotifier } from './factory-notifier';
import { StatementEntryRow, StatementRow } from './statement.entity';

export const STATEMENT_JOB = 'payouts.make-statement';
export const WEEK_STATEMENTS_JOB = 'payouts.make-week-statements';
export const CATCH_UP_JOB = 'payouts.catch-up-statements';

/** Which fruit boxes ship in an ISO week (the subscriptions module's boxes; payouts may not import it). */
export interface ShipWeeks {
  boxIdsShippingIn(tx: Tx, week: string): Promise<string[]>;
}
export const byCampaign = z.strictObject({ campaignId: z.string() });
const FINAL = ['completed', 'cancelled', 'failed'];

/** What one journal entry adds to each line of a factory's statement. */
export interface EntryBreakdown {
  balanceReceived: Decimal;
  depositApplied: Decimal;
  depositForfeited: Decimal;
  /** The cost of an orchard's fruit in a charged fruit box. */
  fruitSupplied: Decimal;
  platformFee: Decimal;
  refund: Decimal;
  adjustment: Decimal;
  /** What the entry made the factory owed: the negated line on its payable account (a credit is owed). */
  net: Decimal;
}

/**
 * Reads an entry's lines into statement lines. A completed purchase is the balance received plus the deposit
 * applied, less the fee; a purchase undone gives the whole price back (a refund) and the fee with it (a
 * negative fee); 定金 compensation is a refund taken from the factory; a charged fruit box owes each orchard
 * the cost of its fruit (the platform's margin is not the orchard's concern). What no rule names is an adjustment,
 * so that the lines always add up to the net, to the fen.
 */
export function breakdown(posted: PostedEntry, factoryId: string): EntryBreakdown {
  const line = (account: string) => sum(posted.lines.filter((l) => l.account === account).map((l) => l.amount));
  const net = line(accounts.factoryPayable(factoryId)).negated();
  const parts = { balanceReceived: ZERO, depositApplied: ZERO, depositForfeited: ZERO, fruitSupplied: ZERO, platformFee: ZERO, refund: ZERO };
  const campaignId = posted.entry.campaignId ?? '';
  switch (posted.entry.kind) {
    case 'purchase_completed':
      Object.assign(parts, {
        balanceReceived: line(accounts.gateway),
        depositApplied: line(accounts.heldDeposits(campaignId)),
        platformFee: line(accounts.platformFees).negated(),
      });
      break;
    case 'deposit_forfeited':
      parts.depositForfeited = line(accounts.heldDeposits(campaignId));
      break;
    case 'purchase_refunded':
      Object.assign(parts, { refund: net.negated().plus(line(accounts.platformFees)), platformFee: line(accounts.platformFees).negated() });
      break;
    case 'deposit_compensated':
      parts.refund = net.negated();
      break;
    case 'box_charged':
      parts.fruitSupplied = net;
      break;
  }
  const explained = sum([parts.balanceReceived, parts.depositApplied, parts.depositForfeited, parts.fruitSupplied])
    .minus(parts.platformFee)
    .minus(parts.refund);
  return { ...parts, adjustment: net.minus(explained), net };
}

/**
 * Settlement statements: once a campaign is final (completed, or cancelled after it sold), what it earned
 * each factory, and once an ISO ship week has ended, what its fruit boxes earned each orchard, line by line, each line the sum of journal entries the statement lists. Made by a job
 * enqueued in the transaction that makes the campaign final, not in that transaction itself: the
 * statement reads every entry of the campaign (a hundred thousand for a big one), which would hold the
 * last pledge's locks for seconds. The job is idempotent: it counts for each factory only entries no statement
 * of that factory counts yet (the entry and the factory are the key of factory_statement_entries), so running it
 * twice, or on two workers, makes one statement per factory.
 */
export class Statements {
  constructor(
    private readonly deps: {
      db: Database;
      jobs: Jobs;
      clock: Clock;
      ledger: LedgerService;
      campaigns: CampaignService;
      notifier: FactoryNotifier;
      shipWeeks: ShipWeeks;
    },
  ) {}

  /** The pledges module's observer: a campaign has no open pledge left. */
  async campaignFinal(tx: Tx, campaignId: string): Promise<void> {
    await this.deps.jobs.enqueue(tx, STATEMENT_JOB, { campaignId }, { key: campaignId });
  }

  /**
   * The daily catch-up: a final campaign with entries on factories' payables that no statement counts (completed
   * before statements existed, or an entry posted after its statement) gets its statement job again, keyed by its
   * number of entries so that each new entry can bring it back once. Two GROUP BYs, whatever the ledger's size.
   */
  async catchUp(): Promise<string[]> {
    return this.deps.db.transaction(async (tx) => {
      const behind = await this.behind(tx);
      for (const [campaignId, entries] of behind) await this.deps.jobs.enqueue(tx, STATEMENT_JOB, { campaignId }, { key: `${campaignId}:${entries}` });
      return [...behind.keys()];
    });
  }

  /**
   * The catch-up made now rather than by jobs: before a payout batch is made, so that an entry posted on a final
   * campaign after its statement (an after-sale refund) is on a statement the batch nets, and a factory is never paid
   * a statement the ledger no longer owes it. Each statement in its own transaction, as the job makes it.
   */
  async upToDate(): Promise<void> {
    const behind = await this.deps.db.read((tx) => this.behind(tx));
    for (const campaignId of behind.keys())
      await this.make(campaignId).catch((error: unknown) => {
        // Another batch (or the statement job) stated these entries at the same moment: the entry and the factory are the key.
        if (!isUniqueViolation(error)) throw error;
      });
  }

  /**
   * Final campaigns with entries on factories' payables that no statement counts, with their number of such entries in the ledger.
   * A statement's entry_count counts each entry once for its factory; a campaign's entries move only its own factory's
   * payable, so the sum over its statements is comparable to the ledger's count of its entries.
   */
  private async behind(tx: Tx): Promise<Map<string, number>> {
    const inLedger = await this.deps.ledger.entryCountsByCampaign(tx, FACTORY_PAYABLE_PREFIX);
    const stated = await tx
      .createQueryBuilder(StatementRow, 's')
      .select('s.campaign_id', 'campaignId')
      .addSelect('SUM(s.entry_count)', 'entries')
      .where('s.campaign_id IS NOT NULL')
      .groupBy('s.campaign_id')
      .getRawMany<{ campaignId: string; entries: string | number }>();
    const counted = new Map(stated.map((r) => [r.campaignId, Number(r.entries)]));
    const behind = (await this.deps.campaigns.finalCampaignIds(tx)).filter((id) => (inLedger.get(id) ?? 0) > (counted.get(id) ?? 0));
    return new Map(behind.map((id) => [id, inLedger.get(id) ?? 0]));
  }

  /** The statement job: one statement per factory for the entries of a final campaign not yet on a statement. */
  async make(campaignId: string): Promise<StatementRow[]> {
    return this.deps.db.transaction(async (tx) => {
      const campaign = await this.deps.campaigns.find(tx, campaignId);
      if (!campaign || !FINAL.includes(campaign.status)) return [];
      const posted = await this.deps.ledger.entriesOfCampaign(tx, campaignId, FACTORY_PAYABLE_PREFIX);
      return this.record(tx, posted, { campaignId, period: null }, { title: campaign.title });
    });
  }

  /**
   * The weekly job: for each of the last `weeks` ISO ship weeks that have ended, one statement per orchard for the
   * entries of that week's fruit boxes not yet on a statement (a box charged late, after an earlier run, goes on the
   * week's next statement). A week has ended when its Sunday has passed in China: every box shipping in it was
   * charged at its cutoff, before it shipped. A week that fails is logged and the other weeks are made all the
   * same (each week in its own transaction): one bad week must not keep every orchard's other weeks unstated, so
   * unpaid. The run then fails with the first error, so that the job is recorded as failed and tried again.
   */
  async makeWeeks(weeks: number, logger?: Logger): Promise<StatementRow[]> {
    const made: StatementRow[] = [];
    const failures: unknown[] = [];
    let day = DateTime.fromJSDate(this.deps.clock.now(), { zone: BUSINESS_TIME_ZONE }).minus({ weeks: 1 });
    for (let i = 0; i < weeks; i++, day = day.minus({ weeks: 1 })) {
      const week = isoWeekOf(day.toISODate()!);
      try {
        made.push(...(await this.makeWeek(week)));
      } catch (error) {
        logger?.warn({ err: error, week }, "week's statements failed; the other weeks go on");
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
    return made;
  }

  async makeWeek(week: string): Promise<StatementRow[]> {
    return this.deps.db.transaction(async (tx) => {
      const posted = await this.deps.ledger.entriesOfBoxes(tx, await this.deps.shipWeeks.boxIdsShippingIn(tx, week), FACTORY_PAYABLE_PREFIX);
      return this.record(tx, posted, { campaignId: null, period: week }, { week });
    });
  }

  /** A statement per factory of the entries not yet counted in one, told to its portal users. */
  private async record(
    tx: Tx,
    posted: PostedEntry[],
    scope: Pick<StatementRow, 'campaignId' | 'period'>,
    notice: { title: string } | { week: string },
  ): Promise<StatementRow[]> {
    // Counted per factory: a charged fruit box's entry owes each orchard of its fruit, and goes on each one's statement.
    const counted = new Set<string>();
    const key = (entryId: string, factoryId: string) => `${entryId} ${factoryId}`;
    for (let i = 0; i < posted.length; i += 500) {
      const ids = posted.slice(i, i + 500).map((p) => p.entry.id);
      for (const row of await tx.find(StatementEntryRow, { select: { entryId: true, factoryId: true }, where: { entryId: In(ids) } }))
        counted.add(key(row.entryId, row.factoryId));
    }
    const factoriesOf = (p: PostedEntry) =>
      p.lines.filter((l) => l.account.startsWith(FACTORY_PAYABLE_PREFIX)).map((l) => l.account.slice(FACTORY_PAYABLE_PREFIX.length));
    const factoryIds = [...new Set(posted.flatMap((p) => factoriesOf(p).filter((factoryId) => !counted.has(key(p.entry.id, factoryId)))))];
    const made: StatementRow[] = [];
    for (const factoryId of factoryIds.sort()) {
      const entries = posted.filter((p) => !counted.has(key(p.entry.id, factoryId)) && factoriesOf(p).includes(factoryId));
      const parts = entries.map((p) => breakdown(p, factoryId));
      const total = (pick: (b: EntryBreakdown) => Decimal) => sum(parts.map(pick));
      const previous = await tx.count(StatementRow, {
        where: scope.campaignId ? { campaignId: scope.campaignId, factoryId } : { period: scope.period!, factoryId },
      });
      const statement = Object.assign(new StatementRow(), {
        id: newId(),
        factoryId,
        ...scope,
        sequence: previous + 1,
        balancesReceived: total((b) => b.balanceReceived),
        depositsApplied: total((b) => b.depositApplied),
        depositsForfeited: total((b) => b.depositForfeited),
        fruitSupplied: total((b) => b.fruitSupplied),
        platformFee: total((b) => b.platformFee),
        refunds: total((b) => b.refund),
        adjustments: total((b) => b.adjustment),
        net: total((b) => b.net),
        entryCount: entries.length,
        payoutId: null,
        createdAt: this.deps.clock.now(),
      });
      await tx.insert(StatementRow, statement);
      await this.deps.db.insertEntities(
        tx,
        StatementEntryRow,
        entries.map((p) => Object.assign(new StatementEntryRow(), { entryId: p.entry.id, factoryId, statementId: statement.id })),
      );
      await this.deps.notifier.notify(tx, factoryId, {
        kind: 'statement_ready',
        campaignId: scope.campaignId,
        data: { ...notice, net: formatMoney(statement.net) },
      });
      made.push(statement);
    }
    return made;
  }

  async list(actor: Principal, query: PageQuery & { factoryId?: string; unpaid?: boolean }): Promise<{ items: StatementRow[]; total: number }> {
    const factoryId = actor.role === 'factory' ? actor.factoryId : query.factoryId;
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(StatementRow, {
        where: { ...(factoryId ? { factoryId } : {}), ...(query.unpaid ? { payoutId: IsNull() } : {}) },
        order: { createdAt: 'DESC', id: 'DESC' },
        skip: query.offset,
        take: query.limit,
      }),
    );
    return { items, total };
  }

  /** A statement the caller may see; another factory's is "not found". */
  async get(actor: Principal, statementId: string): Promise<StatementRow> {
    const statement = await this.deps.db.read((tx) => tx.findOneBy(StatementRow, { id: statementId }));
    if (!statement || !canActForFactory(actor, statement.factoryId)) throw notFound('The statement');
    return statement;
  }

  /** The entries a statement counts, each with what it adds to each line: the statement's audit trail (a page, or all of them). */
  async entries(actor: Principal, statementId: string, page?: PageQuery): Promise<{ statement: StatementRow; items: (EntryBreakdown & PostedEntry)[] }> {
    const statement = await this.get(actor, statementId);
    const items = await this.deps.db.read(async (tx) => {
      const rows = await tx.find(StatementEntryRow, {
        where: { statementId },
        order: { entryId: 'ASC' },
        ...(page ? { skip: page.offset, take: page.limit } : {}),
      });
      const posted: PostedEntry[] = [];
      for (let i = 0; i < rows.length; i += 500)
        posted.push(
          ...(await this.deps.ledger.entries(
            tx,
            rows.slice(i, i + 500).map((r) => r.entryId),
          )),
        );
      return posted.map((p) => ({ ...p, ...breakdown(p, statement.factoryId) }));
    });
    return { statement, items };
  }

  async titles(campaignIds: readonly (string | null)[]): Promise<Map<string, string>> {
    return this.deps.db.read(async (tx) => {
      const titles = new Map<string, string>();
      for (const id of new Set(campaignIds)) if (id) titles.set(id, (await this.deps.campaigns.find(tx, id))?.title ?? '');
      return titles;
    });
  }
}
