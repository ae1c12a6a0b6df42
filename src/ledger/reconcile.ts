import type { Database } from '../platform/database';
import { type Decimal, ZERO, formatMoney, sum } from '../platform/money';
import { FACTORY_PAYABLE_PREFIX, HELD_DEPOSITS_PREFIX, LEDGER_CURRENCY, accounts } from './accounts';
import type { LedgerService } from './ledger.service';
import type { Tx } from '../platform/database';

/** What the other modules' own records say, to hold the ledger against. */
export interface ReconcileSources {
  /** Deposits of pledges that are active or awaiting their balance, per campaign. */
  heldDepositsByCampaign(tx: Tx): Promise<Map<string, Decimal>>;
  /** Campaigns that are final (failed, cancelled, completed) and settled: their held deposits must be zero. */
  finalCampaignIds(tx: Tx): Promise<string[]>;
  /** Money the gateway confirmed received, confirmed refunded, and refunds decided but not yet confirmed, per currency (CNY always present). */
  gatewayTotals(tx: Tx): Promise<Map<string, { received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }>>;
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
 * platform fees + still held (deposits held, and refunds decided but not yet sent); money the gateway took
 * that we did not ask for has its refund decided (unexpected_payments is zero), in each currency; and the
 * refunds the ledger counts as pending are exactly the refunds not yet confirmed by the gateway.
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
      if (!ledgerHeld.equals(pledgeHeld))
        violations.push(`campaign ${campaignId}: ledger holds ${formatMoney(ledgerHeld)} in deposits, its pledges ${formatMoney(pledgeHeld)}`);
    }
    for (const campaignId of await sources.finalCampaignIds(tx)) {
      const held = heldInLedger.get(accounts.heldDeposits(campaignId)) ?? ZERO;
      if (!held.isZero()) violations.push(`campaign ${campaignId} is final but still holds ${formatMoney(held.negated())} in deposits`);
    }

    const owedToFactories = sum([...(await ledger.balances(tx, FACTORY_PAYABLE_PREFIX)).values()]).negated();
    const fees = (await ledger.balance(tx, accounts.platformFees)).negated();
    const held = sum([...heldInLedger.values()]).negated();
    const byCurrency = await sources.gatewayTotals(tx);
    const totals: Record<string, string> = {};
    for (const [currency, { received, refunded, refundsOutstanding }] of byCurrency) {
      const balance = async (account: string) => ledger.balance(tx, accounts.inCurrency(account, currency));
      const refundsPending = (await balance(accounts.refundsPending)).negated();
      const unexpected = (await balance(accounts.unexpectedPayments)).negated();
      const gateway = await balance(accounts.gateway);
      const of = currency === LEDGER_CURRENCY ? '' : ` (${currency})`;
      // Only money we asked for (CNY) can be owed to factories, be a fee, or be held.
      const kept = currency === LEDGER_CURRENCY ? [owedToFactories, fees, held] : [];
      const figures =
        currency === LEDGER_CURRENCY ? { received, refunded, owedToFactories, fees, held, refundsPending } : { received, refunded, refundsPending };
      for (const [name, value] of Object.entries(figures)) totals[`${name}${of}`] = formatMoney(value);
      const accountedFor = sum([refunded, ...kept, refundsPending, unexpected]);
      if (!received.equals(accountedFor)) {
        const parts =
          currency === LEDGER_CURRENCY ? ` + owed to factories ${formatMoney(owedToFactories)} + fees ${formatMoney(fees)} + held ${formatMoney(held)}` : '';
        violations.push(
          `received${of} ${formatMoney(received)} ≠ refunded ${formatMoney(refunded)}${parts} + refunds pending ${formatMoney(refundsPending)} + unexpected money not yet refunded ${formatMoney(unexpected)}`,
        );
      }
      if (!unexpected.isZero()) violations.push(`${formatMoney(unexpected)}${of} the gateway took that we did not ask for has no refund decided`);
      if (!refundsPending.equals(refundsOutstanding))
        violations.push(
          `ledger has ${formatMoney(refundsPending)}${of} in refunds pending, the refunds not yet sent add up to ${formatMoney(refundsOutstanding)}`,
        );
      if (!gateway.equals(received.minus(refunded)))
        violations.push(`gateway account${of} ${formatMoney(gateway)} ≠ received − refunded ${formatMoney(received.minus(refunded))}`);
    }
    violations.push(...(await sources.derivedRecordViolations(tx)));
    return {
      ok: violations.length === 0,
      violations,
      totals,
    };
  });
}
