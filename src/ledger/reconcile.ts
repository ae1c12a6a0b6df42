import type { Database } from '../platform/database';
import { type Decimal, ZERO, formatMoney, sum } from '../platform/money';
import { FACTORY_PAYABLE_PREFIX, HELD_DEPOSITS_PREFIX, accounts } from './accounts';
import type { LedgerService } from './ledger.service';
import type { Tx } from '../platform/database';

/** What the other modules' own records say, to hold the ledger against. */
export interface ReconcileSources {
  /** Deposits of pledges that are active or awaiting their balance, per campaign. */
  heldDepositsByCampaign(tx: Tx): Promise<Map<string, Decimal>>;
  /** Campaigns that are final (failed, cancelled, completed) and settled: their held deposits must be zero. */
  finalCampaignIds(tx: Tx): Promise<string[]>;
  /** Money the gateway confirmed received, confirmed refunded, and refunds decided but not yet confirmed. */
  gatewayTotals(tx: Tx): Promise<{ received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }>;
  /** Records kept in step with others (running totals), checked against what they count. */
  derivedRecordViolations(tx: Tx): Promise<string[]>;
}

export interface ReconcileReport {
  ok: boolean;
  violations: string[];
  totals: Record<string, string>;
}

/**
 * Proves the ledger invariants of DESIGN.md: every entry sums to zero; each campaign's held deposits
 * equal its pledges' deposits (zero once final); money received = refunded + owed to factories +
 * platform fees + still held (deposits held, and refunds decided but not yet sent); and the refunds the
 * ledger counts as pending are exactly the refunds not yet confirmed by the gateway.
 */
export async function reconcile(db: Database, ledger: LedgerService, sources: ReconcileSources): Promise<ReconcileReport> {
  // One transaction: every figure comes from the same snapshot, even while payments keep arriving.
  return db.transaction(async (tx) => {
    const violations: string[] = [];
    for (const entry of await ledger.unbalancedEntries(tx)) violations.push(`journal entry ${entry} does not sum to zero (or has fewer than two lines)`);

    const heldInLedger = await ledger.balances(tx, HELD_DEPOSITS_PREFIX);
    const heldByPledges = await sources.heldDepositsByCampaign(tx);
    const campaigns = new Set([...[...heldInLedger.keys()].map((a) => a.slice(HELD_DEPOSITS_PREFIX.length)), ...heldByPledges.keys()]);
    for (const campaignId of campaigns) {
      // A liability: the ledger holds it as a credit (negative).
      const ledgerHeld = (heldInLedger.get(accounts.heldDeposits(campaignId)) ?? ZERO).negated();
      const pledgeHeld = heldByPledges.get(campaignId) ?? ZERO;
      if (!ledgerHeld.equals(pledgeHeld)) violations.push(`campaign ${campaignId}: ledger holds ${formatMoney(ledgerHeld)} in deposits, its pledges ${formatMoney(pledgeHeld)}`);
    }
    for (const campaignId of await sources.finalCampaignIds(tx)) {
      const held = heldInLedger.get(accounts.heldDeposits(campaignId)) ?? ZERO;
      if (!held.isZero()) violations.push(`campaign ${campaignId} is final but still holds ${formatMoney(held.negated())} in deposits`);
    }

    const { received, refunded, refundsOutstanding } = await sources.gatewayTotals(tx);
    const owedToFactories = sum([...(await ledger.balances(tx, FACTORY_PAYABLE_PREFIX)).values()]).negated();
    const fees = (await ledger.balance(tx, accounts.platformFees)).negated();
    const refundsPending = (await ledger.balance(tx, accounts.refundsPending)).negated();
    const held = sum([...heldInLedger.values()]).negated();
    const gateway = await ledger.balance(tx, accounts.gateway);
    const accountedFor = refunded.plus(owedToFactories).plus(fees).plus(held).plus(refundsPending);
    if (!received.equals(accountedFor)) {
      violations.push(`received ${formatMoney(received)} ≠ refunded ${formatMoney(refunded)} + owed to factories ${formatMoney(owedToFactories)} + fees ${formatMoney(fees)} + held ${formatMoney(held)} + refunds pending ${formatMoney(refundsPending)}`);
    }
    if (!refundsPending.equals(refundsOutstanding)) violations.push(`ledger has ${formatMoney(refundsPending)} in refunds pending, the refunds not yet sent add up to ${formatMoney(refundsOutstanding)}`);
    if (!gateway.equals(received.minus(refunded))) violations.push(`gateway account ${formatMoney(gateway)} ≠ received − refunded ${formatMoney(received.minus(refunded))}`);
    violations.push(...(await sources.derivedRecordViolations(tx)));
    return {
      ok: violations.length === 0,
      violations,
      totals: Object.fromEntries(Object.entries({ received, refunded, owedToFactories, fees, held, refundsPending }).map(([k, v]) => [k, formatMoney(v)])),
    };
  });
}
