import type { Database, Tx } from '../platform/database';
import { newId } from '../platform/ids';
import { type Decimal, ZERO, fromFen, roundToFen, sum } from '../platform/money';
import { JournalEntryRow, JournalLineRow } from './journal.entity';

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
    | 'unexpected_payment_refunded';
  refs: { campaignId?: string | null; pledgeId?: string | null; boxId?: string | null; paymentId?: string | null; refundId?: string | null };
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
