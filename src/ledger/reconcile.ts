import type { Database } from '../platform/database';
import { type Decimal, ZERO, formatMoney, sum } from '../platform/money';
import { COMMISSION_PAYABLE_PREFIX, FACTORY_PAYABLE_PREFIX, HELD_DEPOSITS_PREFIX, LEDGER_CURRENCY, accounts } from './accounts';
import type { EntryInput, LedgerService } from './ledger.service';

/** The entry that records a factory paid: factory payable → money out of the gateway. */
export const PAYOUT_KIND: EntryInput['kind'] = 'payout_confirmed';
import type { Tx } from '../platform/database';

/** What the other modules' own records say, to hold the ledger against. */
export interface ReconcileSources {
  /** Deposits of pledges that are active or awaiting their balance, per campaign. */
  heldDepositsByCampaign(tx: Tx): Promise<Map<string, Decimal>>;
  /** Campaigns that are final (failed, cancelled, completed) and settled: their held deposits must be zero. */
  finalCampaignIds(tx: Tx): Promise<string[]>;
  /** Money the gateway confirmed received, confirmed refunded, and refunds decided but not yet confirmed, per currency (CNY always present). */
  gatewayTotals(tx: Tx): Promise<Map<string, { received: Decimal; refunded: Decimal; refundsOutstanding: Decimal }>>;
  /** Payouts to factories confirmed as paid, per factory id (the payouts module's own records). */
  paidOutByFactory(tx: Tx): Promise<Map<string, Decimal>>;
  /** Payouts to shop owners confirmed as paid, per shop id (the shop owners' payouts' own records). */
  paidOutByShop(tx: Tx): Promise<Map<string, Decimal>>;
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
 * refunds the ledger counts as pending are exactly the refunds not yet confirmed by the gateway; and per
 * factory, payable = settled (everything it earned, less what was clawed back) − paid (the payouts
 * confirmed, as the payouts module records them); per shop owner, payable = earned (commission and
 * self-purchase rebates) − clawed back − paid out. Commission is paid from the platform's side: what is
 * owed to shop owners is matched by the commission expense.
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

    const payable = await ledger.balances(tx, FACTORY_PAYABLE_PREFIX);
    const owedToFactories = sum([...payable.values()]).negated();
    // Liabilities are credits: settled is the negated balance of every entry but the payouts, paid the payouts' debits.
    const settledInLedger = await ledger.balancesByKind(tx, FACTORY_PAYABLE_PREFIX, [PAYOUT_KIND], true);
    const paidInLedger = await ledger.balancesByKind(tx, FACTORY_PAYABLE_PREFIX, [PAYOUT_KIND]);
    const paidOutByFactory = await sources.paidOutByFactory(tx);
    const factories = new Set([...payable.keys()].map((a) => a.slice(FACTORY_PAYABLE_PREFIX.length)).concat([...paidOutByFactory.keys()]));
    for (const factoryId of factories) {
      const account = accounts.factoryPayable(factoryId);
      const owed = (payable.get(account) ?? ZERO).negated();
      const settled = (settledInLedger.get(account) ?? ZERO).negated();
      const paid = paidOutByFactory.get(factoryId) ?? ZERO;
      if (!owed.equals(settled.minus(paid)))
        violations.push(`factory ${factoryId}: payable ${formatMoney(owed)} ≠ settled ${formatMoney(settled)} − paid out ${formatMoney(paid)}`);
      violations.push(...payoutsAgree(`factory ${factoryId}`, paidInLedger.get(account) ?? ZERO, paid));
    }
    const paidOutByShop = await sources.paidOutByShop(tx);
    const { owedToShops, violations: shopViolations } = await shopPayables(tx, ledger, paidOutByShop);
    violations.push(...shopViolations);
    const commissionExpense = await ledger.balance(tx, accounts.commissionExpense);
    const paidOut = sum([...paidOutByFactory.values(), ...paidOutByShop.values()]);
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
      const kept = currency === LEDGER_CURRENCY ? [owedToFactories, fees, held, paidOut, owedToShops, commissionExpense.negated()] : [];
      const figures =
        currency === LEDGER_CURRENCY
          ? { received, refunded, owedToFactories, fees, held, refundsPending, paidOut, owedToShops, commissionExpense }
          : { received, refunded, refundsPending };
      for (const [name, value] of Object.entries(figures)) totals[`${name}${of}`] = formatMoney(value);
      const accountedFor = sum([refunded, ...kept, refundsPending, unexpected]);
      if (!received.equals(accountedFor)) {
        const parts =
          currency === LEDGER_CURRENCY
            ? ` + owed to factories ${formatMoney(owedToFactories)} + fees ${formatMoney(fees)} + held ${formatMoney(held)} + paid out ${formatMoney(paidOut)} + owed to shop owners ${formatMoney(owedToShops)} − commission expense ${formatMoney(commissionExpense)}`
            : '';
        violations.push(
          `received${of} ${formatMoney(received)} ≠ refunded ${formatMoney(refunded)}${parts} + refunds pending ${formatMoney(refundsPending)} + unexpected money not yet refunded ${formatMoney(unexpected)}`,
        );
      }
      if (!unexpected.isZero()) violations.push(`${formatMoney(unexpected)}${of} the gateway took that we did not ask for has no refund decided`);
      if (!refundsPending.equals(refundsOutstanding))
        violations.push(
          `ledger has ${formatMoney(refundsPending)}${of} in refunds pending, the refunds not yet sent add up to ${formatMoney(refundsOutstanding)}`,
        );
      // Payouts leave from the money we hold, in CNY only.
      const left = received.minus(refunded).minus(currency === LEDGER_CURRENCY ? paidOut : ZERO);
      if (!gateway.equals(left)) violations.push(`gateway account${of} ${formatMoney(gateway)} ≠ received − refunded − paid out ${formatMoney(left)}`);
    }
    violations.push(...(await sources.derivedRecordViolations(tx)));
    return {
      ok: violations.length === 0,
      violations,
      totals,
    };
  });
}

/** Per shop owner, payable = earned (commission and self-purchase rebates) − clawed back − paid out; and what all shop owners are owed. */
async function shopPayables(tx: Tx, ledger: LedgerService, paidOutByShop: Map<string, Decimal>): Promise<{ owedToShops: Decimal; violations: string[] }> {
  const violations: string[] = [];
  const payable = await ledger.balances(tx, COMMISSION_PAYABLE_PREFIX);
  const earnedInLedger = await ledger.balancesByKind(tx, COMMISSION_PAYABLE_PREFIX, ['commission_earned', 'self_purchase_rebate']);
  // Clawed back: a refunded sale's commission, and held commission an operator voided (docs/shop-owners.md § Holds).
  const clawedBackInLedger = await ledger.balancesByKind(tx, COMMISSION_PAYABLE_PREFIX, ['commission_clawed_back', 'commission_voided']);
  const paidInLedger = await ledger.balancesByKind(tx, COMMISSION_PAYABLE_PREFIX, [PAYOUT_KIND]);
  const shops = new Set([...payable.keys()].map((a) => a.slice(COMMISSION_PAYABLE_PREFIX.length)).concat([...paidOutByShop.keys()]));
  for (const shopId of shops) {
    const account = accounts.commissionPayable(shopId);
    // A liability: earned is a credit, clawed back and paid out are debits.
    const owed = (payable.get(account) ?? ZERO).negated();
    const earned = (earnedInLedger.get(account) ?? ZERO).negated();
    const clawedBack = clawedBackInLedger.get(account) ?? ZERO;
    const paid = paidOutByShop.get(shopId) ?? ZERO;
    if (!owed.equals(earned.minus(clawedBack).minus(paid)))
      violations.push(
        `shop ${shopId}: payable ${formatMoney(owed)} ≠ earned ${formatMoney(earned)} − clawed back ${formatMoney(clawedBack)} − paid out ${formatMoney(paid)}`,
      );
    violations.push(...payoutsAgree(`shop ${shopId}`, paidInLedger.get(account) ?? ZERO, paid));
  }
  return { owedToShops: sum([...payable.values()]).negated(), violations };
}

/** The ledger's payout entries to a payee against the payouts confirmed, as their module records them. */
function payoutsAgree(payee: string, inLedger: Decimal, paid: Decimal): string[] {
  return inLedger.equals(paid) ? [] : [`${payee}: the ledger has ${formatMoney(inLedger)} paid out, its confirmed payouts ${formatMoney(paid)}`];
}
