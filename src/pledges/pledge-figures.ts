import type { Database } from '../platform/database';
import { fromFen, type Decimal } from '../platform/money';
import { HOLDING_STATUSES } from './pledge.entity';

/** Pledges and units placed in one minute. */
export interface MinuteCount {
  /** The minute's start, UTC. */
  minute: Date;
  pledges: number;
  units: number;
}

/**
 * The pledges' business figures for the operators' front page and /metrics (docs/operator-console.md § 概览): what
 * is held and owed now, and what was placed lately. Each an aggregate query on the pledges table.
 */
export class PledgeFigures {
  constructor(private readonly deps: { db: Database }) {}

  /** Deposits paid and not given back (what the held-deposits accounts hold), and their pledges. */
  async depositsHeld(): Promise<{ pledges: number; amount: Decimal }> {
    return this.sumOf('deposit_fen', HOLDING_STATUSES);
  }

  /** Pledges awaiting their balance, and the balances they owe. */
  async balancesOutstanding(): Promise<{ pledges: number; amount: Decimal }> {
    return this.sumOf('balance_fen', ['awaiting_balance']);
  }

  /** Pledges and units placed from `since` (inclusive) to `until` (exclusive), per minute; minutes with none left out. */
  async perMinute(since: Date, until: Date): Promise<MinuteCount[]> {
    return this.deps.db.read(async (tx) => {
      // The stored timestamp's first 16 characters are its minute ("2026-11-30 14:05") on both databases.
      const { rows } = await this.deps.db.sql<{ minute: string; pledges: number | string; units: number | string | null }>(
        tx,
        'SELECT SUBSTR(created_at, 1, 16) AS minute, COUNT(*) AS pledges, SUM(quantity) AS units FROM pledges WHERE created_at >= ? AND created_at < ? GROUP BY SUBSTR(created_at, 1, 16)',
        [since, until],
      );
      return rows
        .map((r) => ({ minute: new Date(`${String(r.minute).replace(' ', 'T')}:00Z`), pledges: Number(r.pledges), units: Number(r.units ?? 0) }))
        .sort((a, b) => a.minute.getTime() - b.minute.getTime());
    });
  }

  private async sumOf(column: 'deposit_fen' | 'balance_fen', statuses: readonly string[]): Promise<{ pledges: number; amount: Decimal }> {
    return this.deps.db.read(async (tx) => {
      const { rows } = await this.deps.db.sql<{ pledges: number | string; fen: number | string | null }>(
        tx,
        `SELECT COUNT(*) AS pledges, SUM(${column}) AS fen FROM pledges WHERE status IN (${statuses.map(() => '?').join(', ')})`,
        statuses,
      );
      return { pledges: Number(rows[0]?.pledges ?? 0), amount: fromFen(String(rows[0]?.fen ?? 0)) };
    });
  }
}
