import { chunks } from '../platform/chunks';
import type { Database, Tx } from '../platform/database';
import { newId } from '../platform/ids';
import { type Decimal, ZERO, fromFen, roundToFen, sum } from '../platform/money';
import { In } from 'typeorm';
import { JournalEntryRow, JournalLineRow } from './journal.entity';

/** An entry as written, with its lines. */
export interface PostedEntry {
  entry: JournalEntryRow;
  lines: JournalLineRow[];
}

export interface EntryInput {
  kind:
    | 'deposit_received'
    | 'deposit_refunded'
    | 'payment_refund_sent'
    | 'purchase_completed'
    | 'deposit_forfeited'
    | 'late_payment_refunded'
    | 'purchase_refunded'
    | 'deposit_compensated'
    | 'box_charged'
    | 'box_compensated'
    | 'unexpected_payment_received'
    | 'unexpected_payment_refunded'
    | 'payout_confirmed'
    | 'commission_earned'
    | 'self_purchase_rebate'
    | 'commission_clawed_back'
    | 'commission_voided';
  refs: {
    campaignId?: string | null;
    pledgeId?: string | null;
    boxId?: string | null;
    paymentId?: string | null;
    refundId?: string | null;
    payoutId?: string | null;
  };
  lines: { account: string; amount: Decimal }[];
}

/** The double-entry ledger: entries are posted inside the caller's transaction, beside the state change they record. */
export class LedgerService {
  constructor(
    private readonly db: Database,
    private readonly clock: { now(): Date },
  ) {}

  async post(tx: Tx, input: EntryInput): Promise<string> {
    const [entryId] = await this.postMany(tx, [input]);
    return entryId;
  }

  /** Several entries, with one INSERT for the entries and one for their lines. */
  async postMany(tx: Tx, inputs: readonly EntryInput[]): Promise<string[]> {
    const now = this.clock.now();
    const entries = inputs.map((input) => ({ id: newId(), input, lines: checkedLines(input) }));
    await this.db.insertEntities(
      tx,
      JournalEntryRow,
      entries.map(({ id, input }) =>
        Object.assign(new JournalEntryRow(), {
          id,
          kind: input.kind,
          campaignId: input.refs.campaignId ?? null,
          pledgeId: input.refs.pledgeId ?? null,
          boxId: input.refs.boxId ?? null,
          paymentId: input.refs.paymentId ?? null,
          refundId: input.refs.refundId ?? null,
          payoutId: input.refs.payoutId ?? null,
          createdAt: now,
        }),
      ),
    );
    await this.db.insertEntities(
      tx,
      JournalLineRow,
      entries.flatMap(({ id, lines }) =>
        lines.map((l) => Object.assign(new JournalLineRow(), { id: newId(), entryId: id, account: l.account, amount: l.amount })),
      ),
    );
    return entries.map((e) => e.id);
  }

  /** Balances of every account whose name starts with `prefix` (or all), summed exactly in integer fen. */
  async balances(tx: Tx, prefix = ''): Promise<Map<string, Decimal>> {
    const rows = await tx
      .createQueryBuilder(JournalLineRow, 'l')
      .select('l.account', 'account')
      .addSelect('SUM(l.amount_fen)', 'fen')
      .where('l.account LIKE :prefix', { prefix: `${prefix}%` })
      .groupBy('l.account')
      .getRawMany<{ account: string; fen: string | number }>();
    return new Map(rows.map((r) => [r.account, fromFen(String(r.fen))]));
  }

  async balance(tx: Tx, account: string): Promise<Decimal> {
    const row = await tx
      .createQueryBuilder(JournalLineRow, 'l')
      .select('SUM(l.amount_fen)', 'fen')
      .where('l.account = :account', { account })
      .getRawOne<{ fen: string | number | null }>();
    return row?.fen == null ? ZERO : fromFen(String(row.fen));
  }

  /**
   * Balances of the accounts starting with `prefix`, counting only the entries of `kinds` (or, with
   * `exclude`, every other kind): what a factory earned apart from what it was paid, say.
   */
  async balancesByKind(tx: Tx, prefix: string, kinds: readonly EntryInput['kind'][], exclude = false): Promise<Map<string, Decimal>> {
    return this.balancesOfEntries(tx, prefix, `e.kind ${exclude ? 'NOT IN' : 'IN'} (:...kinds)`, { kinds });
  }

  /** Balances of the accounts starting with `prefix`, counting only the entries of one pledge or one box: what that sale earned a shop owner, say. */
  async balancesOfSale(tx: Tx, sale: { pledgeId: string } | { boxId: string }, prefix: string): Promise<Map<string, Decimal>> {
    const [column, id] = 'pledgeId' in sale ? ['e.pledge_id', sale.pledgeId] : ['e.box_id', sale.boxId];
    return this.balancesOfEntries(tx, prefix, `${column} = :id`, { id });
  }

  /** One account's balance over each pledge's entries, by pledge (none: no entry of that pledge on it): what each of those sales still leaves owed there, say. */
  async balancesOfPledges(tx: Tx, account: string, pledgeIds: readonly string[]): Promise<Map<string, Decimal>> {
    const balances = new Map<string, Decimal>();
    for (const ids of chunks(pledgeIds, 500)) {
      const rows = await tx
        .createQueryBuilder(JournalLineRow, 'l')
        .innerJoin(JournalEntryRow, 'e', 'e.id = l.entry_id')
        .select('e.pledge_id', 'pledgeId')
        .addSelect('SUM(l.amount_fen)', 'fen')
        .where('l.account = :account AND e.pledge_id IN (:...ids)', { account, ids })
        .groupBy('e.pledge_id')
        .getRawMany<{ pledgeId: string; fen: string | number }>();
      for (const r of rows) balances.set(r.pledgeId, fromFen(String(r.fen)));
    }
    return balances;
  }

  /** Balances of the accounts starting with `prefix`, over the entries (`e`) that match `where` (SQL from code, values bound). */
  private async balancesOfEntries(tx: Tx, prefix: string, where: string, values: Record<string, unknown>): Promise<Map<string, Decimal>> {
    const rows = await tx
      .createQueryBuilder(JournalLineRow, 'l')
      .innerJoin(JournalEntryRow, 'e', 'e.id = l.entry_id')
      .select('l.account', 'account')
      .addSelect('SUM(l.amount_fen)', 'fen')
      .where('l.account LIKE :prefix', { prefix: `${prefix}%` })
      .andWhere(where, values)
      .groupBy('l.account')
      .getRawMany<{ account: string; fen: string | number }>();
    return new Map(rows.map((r) => [r.account, fromFen(String(r.fen))]));
  }

  /** The entries of a campaign with a line on an account starting with `prefix`, each with all its lines, oldest first. */
  async entriesOfCampaign(tx: Tx, campaignId: string, prefix: string): Promise<PostedEntry[]> {
    return this.withLines(tx, await this.touching(tx, prefix).andWhere('e.campaign_id = :campaignId', { campaignId }).getMany());
  }

  /** How many entries each campaign has with a line on an account starting with `prefix`. */
  async entryCountsByCampaign(tx: Tx, prefix: string): Promise<Map<string, number>> {
    const rows = await tx
      .createQueryBuilder(JournalEntryRow, 'e')
      .select('e.campaign_id', 'campaignId')
      .addSelect('COUNT(*)', 'entries')
      .where('e.campaign_id IS NOT NULL')
      .andWhere('EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.account LIKE :prefix)', { prefix: `${prefix}%` })
      .groupBy('e.campaign_id')
      .getRawMany<{ campaignId: string; entries: string | number }>();
    return new Map(rows.map((r) => [r.campaignId, Number(r.entries)]));
  }

  /** The entries of these boxes with a line on an account starting with `prefix`, each with all its lines, oldest first. */
  async entriesOfBoxes(tx: Tx, boxIds: readonly string[], prefix: string): Promise<PostedEntry[]> {
    const entries: JournalEntryRow[] = [];
    // In slices: a week's boxes in one IN list would pass the databases' bound-parameter limits.
    for (let i = 0; i < boxIds.length; i += 500)
      entries.push(
        ...(await this.touching(tx, prefix)
          .andWhere('e.box_id IN (:...boxIds)', { boxIds: boxIds.slice(i, i + 500) })
          .getMany()),
      );
    entries.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    return this.withLines(tx, entries);
  }

  /** The entries posted in [from, before) with a line on an account starting with `prefix`, each with all its lines, oldest first. */
  async entriesPostedBetween(tx: Tx, prefix: string, from: Date, before: Date): Promise<PostedEntry[]> {
    return this.withLines(tx, await this.touching(tx, prefix).andWhere('e.created_at >= :from AND e.created_at < :before', { from, before }).getMany());
  }

  private touching(tx: Tx, prefix: string) {
    return tx
      .createQueryBuilder(JournalEntryRow, 'e')
      .where('EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.account LIKE :prefix)', { prefix: `${prefix}%` })
      .orderBy('e.created_at', 'ASC')
      .addOrderBy('e.id', 'ASC');
  }

  /** The entries that name these pledges, payments or boxes (any of those given), each with its lines, oldest first: what an operator's record view shows. */
  async entriesReferring(tx: Tx, refs: { pledgeIds?: readonly string[]; paymentIds?: readonly string[]; boxIds?: readonly string[] }): Promise<PostedEntry[]> {
    const or = [
      ...(refs.pledgeIds?.length ? [{ pledgeId: In([...refs.pledgeIds]) }] : []),
      ...(refs.paymentIds?.length ? [{ paymentId: In([...refs.paymentIds]) }] : []),
      ...(refs.boxIds?.length ? [{ boxId: In([...refs.boxIds]) }] : []),
    ];
    if (or.length === 0) return [];
    return this.withLines(tx, await tx.find(JournalEntryRow, { where: or, order: { createdAt: 'ASC', id: 'ASC' } }));
  }

  /** Entries by id, each with its lines, oldest first. */
  async entries(tx: Tx, ids: readonly string[]): Promise<PostedEntry[]> {
    if (ids.length === 0) return [];
    const entries = await tx.find(JournalEntryRow, { where: { id: In([...ids]) }, order: { createdAt: 'ASC', id: 'ASC' } });
    return this.withLines(tx, entries);
  }

  private async withLines(tx: Tx, entries: JournalEntryRow[]): Promise<PostedEntry[]> {
    const lines = new Map<string, JournalLineRow[]>();
    // In slices: an IN list of a whole campaign's entries would pass the databases' bound-parameter limits.
    for (let i = 0; i < entries.length; i += 500) {
      const ids = entries.slice(i, i + 500).map((e) => e.id);
      for (const line of await tx.find(JournalLineRow, { where: { entryId: In(ids) } })) lines.set(line.entryId, [...(lines.get(line.entryId) ?? []), line]);
    }
    return entries.map((entry) => ({ entry, lines: lines.get(entry.id) ?? [] }));
  }

  /** How many entries of a kind each box has. */
  async entriesPerBox(tx: Tx, kind: EntryInput['kind']): Promise<Map<string, number>> {
    const rows = await tx
      .createQueryBuilder(JournalEntryRow, 'e')
      .select('e.box_id', 'boxId')
      .addSelect('COUNT(*)', 'entries')
      .where('e.kind = :kind AND e.box_id IS NOT NULL', { kind })
      .groupBy('e.box_id')
      .getRawMany<{ boxId: string; entries: string | number }>();
    return new Map(rows.map((r) => [r.boxId, Number(r.entries)]));
  }

  /** How many entries there are of these kinds. */
  async entryCountsOfKinds(tx: Tx, kinds: readonly EntryInput['kind'][]): Promise<number> {
    return tx.createQueryBuilder(JournalEntryRow, 'e').where('e.kind IN (:...kinds)', { kinds }).getCount();
  }

  /** Entries whose lines do not sum to zero, or that have fewer than two lines: should never be any. */
  async unbalancedEntries(tx: Tx): Promise<string[]> {
    const rows = await tx
      .createQueryBuilder(JournalLineRow, 'l')
      .select('l.entry_id', 'entryId')
      .groupBy('l.entry_id')
      .having('SUM(l.amount_fen) <> 0 OR COUNT(*) < 2')
      .getRawMany<{ entryId: string }>();
    const orphans = await tx
      .createQueryBuilder(JournalEntryRow, 'e')
      .select('e.id', 'entryId')
      .where('NOT EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id)')
      .getRawMany<{ entryId: string }>();
    return [...rows, ...orphans].map((r) => r.entryId);
  }
}

/** The non-zero lines of an entry, checked: at least two, each whole fen, summing to zero. */
function checkedLines(input: EntryInput): EntryInput['lines'] {
  const lines = input.lines.filter((l) => !l.amount.isZero());
  if (lines.length < 2) throw new Error(`ledger entry ${input.kind} needs at least two non-zero lines`);
  for (const line of lines) {
    if (!line.amount.equals(roundToFen(line.amount))) throw new Error(`ledger line ${line.account} ${line.amount.toString()} is not whole fen`);
  }
  if (!sum(lines.map((l) => l.amount)).isZero()) throw new Error(`ledger entry ${input.kind} does not sum to zero`);
  return lines;
}
