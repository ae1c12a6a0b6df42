import type { Database } from '../platform/database';

/** Refunds not yet paid out (pending: to be sent; processing: the provider has it) and failed ones (to be sent again). */
export interface RefundCounts {
  pending: number;
  processing: number;
  failed: number;
}

/** The refunds' business figures for the operators' front page and /metrics (docs/operator-console.md § 概览): one grouped count. */
export class RefundFigures {
  constructor(private readonly deps: { db: Database }) {}

  async counts(): Promise<RefundCounts> {
    return this.deps.db.read(async (tx) => {
      const { rows } = await this.deps.db.sql<{ status: string; n: number | string }>(
        tx,
        "SELECT status, COUNT(*) AS n FROM refunds WHERE status IN ('pending', 'processing', 'failed') GROUP BY status",
      );
      const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
      return { pending: of('pending'), processing: of('processing'), failed: of('failed') };
    });
  }
}
