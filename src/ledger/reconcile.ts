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
  /** Records kept in step with others (running totals), each checked against what it counts: one check each, by name. */
  derivedRecords: readonly { check: string; violations(tx: Tx): Promise<string[]> }[];
}

/** One invariant, as the console's board shows it: its name (a stable code), whether it holds, and what was found. */
export interface ReconcileCheck {
  check: string;
  ok: boolean;
  /** What was checked (when it holds), or every violation found, one after the other. */
  detail: string;
  violations: string[];
}

export interface ReconcileReport {
  ok: boolean;
  /** Every violation of every check. */
  violations: string[];
  /** Every check, in a fixed order, holding or not. */
  checks: ReconcileCheck[];
  totals: Record<string, string>;
}

/** The checks of the ledger itself and of money, in the order the report lists them; then one per derived record (ReconcileSources.derivedRecords). */
export const LEDGER_CHECKS = [
  'entries_balance',
  'held_deposits_match_pledges',
  'final_campaigns_hold_nothing',
  'factory_payables',
  'shop_payables',
  'money_accounted_for',
  'unexpected_money_refunded',
  'refunds_pending_match_refunds',
  'gateway_balance',
] as const;
type LedgerCheck = (typeof LEDGER_CHECKS)[number];

/**
 * Proves the ledger invariants of DESIGN.md: every entry sums to zero; each campaign's held deposits
 * equal its pledges' deposits (zero once final); money received = refunded + owed to factories +
 * platform fees + still held (deposits held, and refunds decided but not yet sent); money the gateway took
 * that we did not ask for has its refund decided (unexpected_payments is zero), in each currency; and the
 * refunds the ledger counts as pending are exactly the refunds not yet confirmed by the gateway; and per
 * factory, payable = settled (everything it earned, less what was clawed back) − paid (the payouts
 * confirmed, as the payouts module records them); per shop owner, payable = earned (commission and
 * self-purchase rebates) − clawed back − paid out. Commission is paid from the platform's side: what is
 * owed to shop owners is matched by the commission expense. Each invariant is one check of the report.
 */
export async function reconcile(db: Database, ledger: LedgerService, sources: ReconcileSources): Promise<ReconcileReport> {
  // One transaction: every figure comes from the same snapshot, even while payments keep arriving.
  return db.transaction(async (tx) => {
    const found = new Map<LedgerCheck, string[]>(LEDGER_CHECKS.map((c) => [c, []]));
    const summary = new Map<LedgerCheck, string>();
    const fail = (check: LedgerCheck, violation: string) => found.get(check)!.push(violation);

    for (const entry of await ledger.unbalancedEntries(tx))
      fail('entries_balance', `journal entry ${entry} does not sum to zero (or has fewer than two lines)`);
    summary.set('entries_balance', 'every journal entry sums to zero');

    const heldInLedger = await ledger.balances(tx, HELD_DEPOSITS_PREFIX);
    const heldByPledges = await sources.heldDepositsByCampaign(tx);
    const campaigns = new Set([...[...heldInLedger.keys()].map((a) => a.slice(HELD_DEPOSITS_PREFIX.length)), ...heldByPledges.keys()]);
    for (const campaignId of campaigns) {
      // A liability: the ledger holds it as a credit (negative).
      const ledgerHeld = (heldInLedger.get(accounts.heldDeposits(campaignId)) ?? ZERO).negated();
      const pledgeHeld = heldByPledges.get(campaignId) ?? ZERO;
      if (!ledgerHeld.equals(pledgeHeld))
        fail(
          'held_deposits_match_pledges',
          `campaign ${campaignId}: ledger holds ${formatMoney(ledgerHeld)} in deposits, its pledges ${formatMoney(pledgeHeld)}`,
        );
    }
    summary.set('held_deposits_match_pledges', `${campaigns.size} campaigns: deposits held in the ledger = their pledges' deposits`);
    const finalCampaigns = await sources.finalCampaignIds(tx);
    for (const campaignId of finalCampaigns) {
      const held = heldInLedger.get(accounts.heldDeposits(campaignId)) ?? ZERO;
      if (!held.isZero()) fail('final_campaigns_hold_nothing', `campaign ${campaignId} is final but still holds ${formatMoney(held.negated())} in deposits`);
    }
    summary.set('final_campaigns_hold_nothing', `${finalCampaigns.length} final campaigns hold no deposits`);

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
        fail('factory_payables', `factory ${factoryId}: payable ${formatMoney(owed)} ≠ settled ${formatMoney(settled)} − paid out ${formatMoney(paid)}`);
      for (const v of payoutsAgree(`factory ${factoryId}`, paidInLedger.get(account) ?? ZERO, paid)) fail('factory_payables', v);
    }
    summary.set('factory_payables', `${factories.size} factories: payable ${formatMoney(owedToFactories)} = settled − paid out`);
    const paidOutByShop = await sources.paidOutByShop(tx);
    const shops = await shopPayables(tx, ledger, paidOutByShop);
    for (const v of shops.violations) fail('shop_payables', v);
    summary.set('shop_payables', `${shops.count} shop owners: payable ${formatMoney(shops.owedToShops)} = earned − clawed back − paid out`);
    const { owedToShops } = shops;
    const commissionExpense = await ledger.balance(tx, accounts.commissionExpense);
    const paidOut = sum([...paidOutByFactory.values(), ...paidOutByShop.values()]);
    const fees = (await ledger.balance(tx, accounts.platformFees)).negated();
    const held = sum([...heldInLedger.values()]).negated();
    const byCurrency = await sources.gatewayTotals(tx);
    const totals: Record<string, string> = {};
    const perCurrency: Record<'money_accounted_for' | 'unexpected_money_refunded' | 'refunds_pending_match_refunds' | 'gateway_balance', string[]> = {
      money_accounted_for: [],
      unexpected_money_refunded: [],
      refunds_pending_match_refunds: [],
      gateway_balance: [],
    };
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
        fail(
          'money_accounted_for',
          `received${of} ${formatMoney(received)} ≠ refunded ${formatMoney(refunded)}${parts} + refunds pending ${formatMoney(refundsPending)} + unexpected money not yet refunded ${formatMoney(unexpected)}`,
        );
      }
      perCurrency.money_accounted_for.push(`received${of} ${formatMoney(received)}`);
      if (!unexpected.isZero())
        fail('unexpected_money_refunded', `${formatMoney(unexpected)}${of} the gateway took that we did not ask for has no refund decided`);
      perCurrency.unexpected_money_refunded.push(`${formatMoney(unexpected)}${of}`);
      if (!refundsPending.equals(refundsOutstanding))
        fail(
          'refunds_pending_match_refunds',
          `ledger has ${formatMoney(refundsPending)}${of} in refunds pending, the refunds not yet sent add up to ${formatMoney(refundsOutstanding)}`,
        );
      perCurrency.refunds_pending_match_refunds.push(`${formatMoney(refundsPending)}${of}`);
      // Payouts leave from the money we hold, in CNY only.
      const left = received.minus(refunded).minus(currency === LEDGER_CURRENCY ? paidOut : ZERO);
      if (!gateway.equals(left)) fail('gateway_balance', `gateway account${of} ${formatMoney(gateway)} ≠ received − refunded − paid out ${formatMoney(left)}`);
      perCurrency.gateway_balance.push(`${formatMoney(gateway)}${of}`);
    }
    summary.set(
      'money_accounted_for',
      `${perCurrency.money_accounted_for.join(', ')} = refunded + owed to factories and shop owners + fees + held + paid out + refunds pending`,
    );
    summary.set('unexpected_money_refunded', `money we did not ask for without a refund: ${perCurrency.unexpected_money_refunded.join(', ')}`);
    summary.set('refunds_pending_match_refunds', `refunds pending ${perCurrency.refunds_pending_match_refunds.join(', ')} = the refunds not yet paid out`);
    summary.set('gateway_balance', `gateway ${perCurrency.gateway_balance.join(', ')} = received − refunded − paid out`);

    const checks: ReconcileCheck[] = LEDGER_CHECKS.map((check) => toCheck(check, found.get(check)!, summary.get(check)!));
    for (const derived of sources.derivedRecords) checks.push(toCheck(derived.check, await derived.violations(tx), 'every record agrees with what it counts'));
    const violations = checks.flatMap((c) => c.violations);
    return { ok: violations.length === 0, violations, checks, totals };
  });
}

function toCheck(check: string, violations: string[], holds: string): ReconcileCheck {
  return { check, ok: violations.length === 0, detail: violations.length === 0 ? holds : violations.join('; '), violations };
}

/** Per shop owner, payable = earned (commission and self-purchase rebates) − clawed back − paid out; and what all shop owners are owed. */
async function shopPayables(
  tx: Tx,
  ledger: LedgerService,
  paidOutByShop: Map<string, Decimal>,
): Promise<{ owedToShops: Decimal; count: number; violations: string[] }> {
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
  return { owedToShops: sum([...payable.values()]).negated(), count: shops.size, violations };
}

/** The ledger's payout entries to a payee against the payouts confirmed, as their module records them. */
function payoutsAgree(payee: string, inLedger: Decimal, paid: Decimal): string[] {
  return inLedger.equals(paid) ? [] : [`${payee}: the ledger has ${formatMoney(inLedger)} paid out, its confirmed payouts ${formatMoney(paid)}`];
}
