import type { TestApp } from '../../support/app';

/**
 * Money rules of DESIGN.md §2 that the reconcile command does not check itself, read straight from the
 * tables: the cap and the per-consumer limit held, every deposit the right amount, no payment refunded
 * beyond what was paid, and a deposit compensated only as the 定金 law says. Each query returns the
 * rows that break its rule; there should be none.
 */
const RULES: [rule: string, sql: string][] = [
  [
    'a campaign holds more units than its cap, or fewer than none',
    'SELECT id, reserved_units, max_units FROM campaigns WHERE reserved_units < 0 OR (max_units IS NOT NULL AND reserved_units > max_units)',
  ],
  [
    'an open campaign holds other than the units of its pledges awaiting a deposit or paid',
    `SELECT c.id, c.reserved_units, COALESCE(SUM(p.quantity), 0) AS pledged FROM campaigns c
     LEFT JOIN pledges p ON p.campaign_id = c.id AND p.status IN ('awaiting_deposit', 'active')
     WHERE c.status IN ('scheduled', 'open') GROUP BY c.id, c.reserved_units HAVING c.reserved_units <> COALESCE(SUM(p.quantity), 0)`,
  ],
  [
    'a consumer holds more units than the per-consumer limit',
    `SELECT u.campaign_id, u.user_id, u.units, c.per_consumer_limit FROM campaign_consumer_units u JOIN campaigns c ON c.id = u.campaign_id
     WHERE c.per_consumer_limit IS NOT NULL AND u.units > c.per_consumer_limit`,
  ],
  [
    "a pledge's deposit is not its quantity times its campaign's deposit per unit",
    `SELECT p.id, p.quantity, p.deposit_fen, p.deposit_per_unit_fen, c.deposit_fen AS campaign_deposit_fen FROM pledges p JOIN campaigns c ON c.id = p.campaign_id
     WHERE p.deposit_fen <> p.quantity * p.deposit_per_unit_fen OR p.deposit_per_unit_fen <> c.deposit_fen`,
  ],
  [
    "a pledge's deposit payment is not its deposit",
    `SELECT p.id, p.deposit_fen, y.amount_fen, y.kind FROM pledges p JOIN payments y ON y.id = p.deposit_payment_id
     WHERE y.amount_fen <> p.deposit_fen OR y.kind <> 'deposit' OR y.pledge_id <> p.id`,
  ],
  [
    'a pledge counts as paid while its deposit payment did not succeed',
    `SELECT p.id, p.status, y.status AS payment_status FROM pledges p JOIN payments y ON y.id = p.deposit_payment_id
     WHERE p.status IN ('active', 'awaiting_balance', 'paid', 'forfeited') AND y.status <> 'succeeded'`,
  ],
  // A deposit's compensation (定金双倍返还) is paid beside its refund and is checked on its own below.
  [
    'a payment is refunded more than was paid',
    `SELECT r.payment_id, y.amount_fen, SUM(r.amount_fen) AS refunded FROM refunds r JOIN payments y ON y.id = r.payment_id
     WHERE r.reason <> 'deposit_compensation' GROUP BY r.payment_id, y.amount_fen HAVING SUM(r.amount_fen) > y.amount_fen`,
  ],
  [
    'a deposit is compensated other than once, by its amount, for a refunded pledge of a campaign cancelled after it succeeded',
    `SELECT r.payment_id, r.amount_fen, p.deposit_fen, p.status, c.status AS campaign_status FROM refunds r JOIN payments y ON y.id = r.payment_id
     JOIN pledges p ON p.deposit_payment_id = y.id JOIN campaigns c ON c.id = p.campaign_id
     WHERE r.reason = 'deposit_compensation' AND (r.amount_fen <> p.deposit_fen OR p.status <> 'refunded' OR c.status <> 'cancelled' OR c.final_unit_price_fen IS NULL
       OR (SELECT COUNT(*) FROM refunds o WHERE o.payment_id = r.payment_id AND o.reason = 'deposit_compensation') <> 1)`,
  ],
];

export async function moneyInvariantViolations(t: TestApp): Promise<string[]> {
  return t.db.read(async (tx) => {
    const found: string[] = [];
    for (const [rule, sql] of RULES) {
      const rows = (await tx.query(sql)) as unknown[];
      if (rows.length > 0) found.push(`${rule}: ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` and ${rows.length - 5} more` : ''}`);
    }
    return found;
  });
}
