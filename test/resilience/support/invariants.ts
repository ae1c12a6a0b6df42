import type { TestApp } from '../../support/app';
import { expectLedgerReconciles } from '../../support/campaigns';

/**
 * Checks of the database after a fault, in plain SQL so that they do not trust the code under test:
 * nothing half-written, no effect applied twice, no oversell. Each returns the violations it found
 * (an empty list is the pass), so a failing test prints every one of them.
 */

type Row = Record<string, string | number | null>;
const rows = (t: TestApp, sql: string, values: unknown[] = []) => t.db.read((tx) => tx.query(sql, values) as Promise<Row[]>);
const describe = (found: Row[], what: (row: Row) => string) =>
  found
    .slice(0, 20)
    .map(what)
    .concat(found.length > 20 ? [`… and ${found.length - 20} more`] : []);

/** Units of a campaign still open: reserved = the units of its live pledges ≤ its cap, and each consumer's count = their live units ≤ the limit. */
export async function unitViolations(t: TestApp, campaignId: string): Promise<string[]> {
  const [campaign] = await rows(t, 'SELECT status, reserved_units, max_units, per_consumer_limit FROM campaigns WHERE id = ?', [campaignId]);
  const [{ live }] = await rows(
    t,
    "SELECT COALESCE(SUM(quantity), 0) AS live FROM pledges WHERE campaign_id = ? AND status IN ('awaiting_deposit', 'active')",
    [campaignId],
  );
  const violations: string[] = [];
  if (Number(campaign.reserved_units) !== Number(live)) violations.push(`campaign reserves ${campaign.reserved_units} units, its live pledges hold ${live}`);
  if (campaign.max_units !== null && Number(campaign.reserved_units) > Number(campaign.max_units))
    violations.push(`oversold: ${campaign.reserved_units} units reserved, cap ${campaign.max_units}`);
  if (campaign.per_consumer_limit !== null) {
    const mismatched = await rows(
      t,
      `SELECT u.user_id, u.units, COALESCE(SUM(p.quantity), 0) AS live FROM campaign_consumer_units u
       LEFT JOIN pledges p ON p.campaign_id = u.campaign_id AND p.user_id = u.user_id AND p.status IN ('awaiting_deposit', 'active')
       WHERE u.campaign_id = ? GROUP BY u.user_id, u.units HAVING u.units <> COALESCE(SUM(p.quantity), 0) OR u.units > ?`,
      [campaignId, campaign.per_consumer_limit],
    );
    violations.push(...describe(mismatched, (r) => `consumer ${r.user_id} counts ${r.units} units, has ${r.live} live (limit ${campaign.per_consumer_limit})`));
  }
  return violations;
}

/**
 * Nothing half-written: each pledge with its deposit payment (and the reverse), each unpaid pledge with
 * its expiry job, each received payment with its ledger entry (and the reverse).
 */
export async function halfWritten(t: TestApp): Promise<string[]> {
  const checks: [string, string][] = [
    [
      'pledge without its deposit payment',
      "SELECT p.id FROM pledges p LEFT JOIN payments m ON m.id = p.deposit_payment_id AND m.pledge_id = p.id AND m.kind = 'deposit' WHERE m.id IS NULL",
    ],
    [
      'deposit payment without its pledge',
      "SELECT m.id FROM payments m LEFT JOIN pledges p ON p.deposit_payment_id = m.id WHERE m.kind = 'deposit' AND p.id IS NULL",
    ],
    [
      'unpaid pledge without its expiry job',
      "SELECT p.id FROM pledges p LEFT JOIN jobs j ON j.dedupe_key = CONCAT('pledges.expire-unpaid:', p.id) WHERE p.status = 'awaiting_deposit' AND j.id IS NULL",
    ],
    [
      'received payment without its ledger entry',
      `SELECT m.id FROM payments m WHERE m.status = 'succeeded' AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.payment_id = m.id
         AND e.kind IN ('deposit_received', 'late_payment_refunded', 'purchase_completed', 'box_charged'))`,
    ],
    [
      'ledger entry for money never received',
      "SELECT e.id FROM journal_entries e JOIN payments m ON m.id = e.payment_id WHERE e.kind IN ('deposit_received', 'box_charged') AND m.status <> 'succeeded'",
    ],
    [
      'pledge marked paid without its deposit',
      "SELECT p.id FROM pledges p JOIN payments m ON m.id = p.deposit_payment_id WHERE p.status IN ('active', 'awaiting_balance', 'paid', 'forfeited') AND m.status <> 'succeeded'",
    ],
  ];
  const violations: string[] = [];
  for (const [what, sql] of checks) violations.push(...describe(await rows(t, sql), (r) => `${what}: ${r.id}`));
  return violations;
}

/** No effect applied twice: one ledger entry of a kind per pledge, payment, refund or box; one notice of a kind per pledge; one charge per box. */
export async function appliedTwice(t: TestApp): Promise<string[]> {
  const checks: [string, string][] = [
    [
      'pledge with two ledger entries of one kind',
      "SELECT CONCAT(pledge_id, ' ', kind) AS id FROM journal_entries WHERE pledge_id IS NOT NULL AND kind <> 'payment_refund_sent' GROUP BY pledge_id, kind, payment_id HAVING COUNT(*) > 1",
    ],
    ['refund sent twice', "SELECT refund_id AS id FROM journal_entries WHERE kind = 'payment_refund_sent' GROUP BY refund_id HAVING COUNT(*) > 1"],
    [
      'payment refunded more than it brought',
      'SELECT r.payment_id AS id FROM refunds r JOIN payments m ON m.id = r.payment_id GROUP BY r.payment_id, m.amount_fen HAVING SUM(r.amount_fen) > m.amount_fen',
    ],
    [
      'payment received twice in the ledger',
      "SELECT payment_id AS id FROM journal_entries WHERE kind IN ('deposit_received', 'box_charged', 'late_payment_refunded') GROUP BY payment_id HAVING COUNT(*) > 1",
    ],
    [
      'pledge told the same thing twice',
      "SELECT CONCAT(pledge_id, ' ', kind) AS id FROM consumer_notifications WHERE pledge_id IS NOT NULL AND kind <> 'refund_sent' GROUP BY pledge_id, kind HAVING COUNT(*) > 1",
    ],
    ['box charged twice', "SELECT box_id AS id FROM payments WHERE kind = 'box' AND status = 'succeeded' GROUP BY box_id HAVING COUNT(*) > 1"],
    ['box with two charge entries', "SELECT box_id AS id FROM journal_entries WHERE kind = 'box_charged' GROUP BY box_id HAVING COUNT(*) > 1"],
    ['job enqueued twice under one key', 'SELECT dedupe_key AS id FROM jobs WHERE dedupe_key IS NOT NULL GROUP BY dedupe_key HAVING COUNT(*) > 1'],
  ];
  const violations: string[] = [];
  for (const [what, sql] of checks) violations.push(...describe(await rows(t, sql), (r) => `${what}: ${r.id}`));
  return violations;
}

/**
 * Jobs left failed for good (retries exhausted): each is a bug or a fault that never healed. A job that
 * failed and then succeeded on a retry keeps its failed_at and fail_reason, but agenda resets its
 * fail_count to 0: that one recovered.
 */
export async function jobsFailedForGood(t: TestApp): Promise<string[]> {
  const failed = await rows(t, 'SELECT name, fail_count, fail_reason FROM jobs WHERE fail_count > 0 AND next_run_at IS NULL');
  return describe(failed, (r) => `job ${r.name} failed for good after ${r.fail_count} tries: ${r.fail_reason}`);
}

/** Jobs that failed at least once and then succeeded on a retry, by name and reason: transient faults the retries absorbed. */
export async function jobsRecovered(t: TestApp): Promise<string[]> {
  const recovered = await rows(t, 'SELECT name, fail_reason FROM jobs WHERE failed_at IS NOT NULL AND fail_count = 0');
  return recovered.map((r) => `${r.name}: ${r.fail_reason}`);
}

/** One-off jobs due now or running: zero once the workers have caught up. */
export async function jobsOutstanding(t: TestApp): Promise<number> {
  const [{ n }] = await rows(
    t,
    'SELECT COUNT(*) AS n FROM jobs WHERE repeat_interval IS NULL AND (locked_at IS NOT NULL OR (next_run_at IS NOT NULL AND next_run_at <= ?))',
    [new Date()],
  );
  return Number(n);
}

/** Every check above, plus the reconcile command's invariants: throws with all the violations found. */
export async function expectConsistent(t: TestApp, options: { openCampaigns?: string[] } = {}): Promise<void> {
  const violations = [...(await halfWritten(t)), ...(await appliedTwice(t))];
  for (const campaignId of options.openCampaigns ?? []) violations.push(...(await unitViolations(t, campaignId)));
  if (violations.length > 0) throw new Error(`the database is not consistent:\n${violations.join('\n')}`);
  await expectLedgerReconciles(t);
}

/** Counts by a column, e.g. pledges by status. */
export async function countBy(t: TestApp, table: string, column: string, where = '1 = 1', values: unknown[] = []): Promise<Record<string, number>> {
  const found = await rows(t, `SELECT ${column} AS k, COUNT(*) AS n FROM ${table} WHERE ${where} GROUP BY ${column}`, values);
  return Object.fromEntries(found.map((r) => [String(r.k), Number(r.n)]));
}

export { rows as sqlRows };

/** How many times each key occurs, e.g. answers by status. */
export function countOf(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
