import type { AccountService } from '../accounts';
import type { CampaignService } from '../campaigns';
import { COMMISSION_PAYABLE_PREFIX, FACTORY_PAYABLE_PREFIX, type LedgerService, type ReconcileReport } from '../ledger';
import type { Payouts, ShopEarnings } from '../payouts';
import type { Clock } from '../platform/clock';
import type { Database } from '../platform/database';
import { type Decimal, ZERO, formatMoney } from '../platform/money';
import { consumerView } from './consumers';
import type { LedgerBoardDto } from './money-desk.schemas';

/** Accounts named after what they are owed to (the part after the colon is an id); any other suffix is a currency (gateway:USD). */
const SUBJECT_KINDS = ['held_deposits', 'factory_payable', 'commission_payable', 'subscriber_credit'] as const;

/**
 * The money desk's ledger board (GET /v1/console/ledger): every reconcile check, green or red, as `npm run cli --
 * reconcile` runs them; every account's balance; and what is owed to factories (the payouts module's payables
 * beside the ledger's factory payable) and to shop owners (their commission, as the payouts module's shop
 * statements count it).
 */
export class LedgerBoard {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      ledger: LedgerService;
      reconcile: () => Promise<ReconcileReport>;
      payouts: Payouts;
      shopEarnings: ShopEarnings;
      accounts: AccountService;
      campaigns: CampaignService;
      factoryNames: (ids: readonly string[]) => Promise<Map<string, string>>;
      shopNames: (ids: readonly string[]) => Promise<Map<string, string>>;
    },
  ) {}

  async board(): Promise<LedgerBoardDto> {
    const { ledger, payouts } = this.deps;
    const report = await this.deps.reconcile();
    const checkedAt = this.deps.clock.now();
    const { balances, paidToShops } = await this.deps.db.read(async (tx) => ({
      balances: await ledger.balances(tx),
      paidToShops: await payouts.paidOutByShop(tx),
    }));
    const parsed = [...balances].map(([account, balance]) => {
      const colon = account.indexOf(':');
      const kind = colon < 0 ? account : account.slice(0, colon);
      const subjectId = colon < 0 ? null : account.slice(colon + 1);
      return { account, kind, subjectId, balance };
    });
    const subjects = (kind: (typeof SUBJECT_KINDS)[number]) => parsed.filter((a) => a.kind === kind && a.subjectId).map((a) => a.subjectId!);
    const payables = await payouts.payables();
    const factoryIds = [...new Set([...subjects('factory_payable'), ...payables.map((p) => p.factoryId)])];
    const shopIds = [...new Set([...subjects('commission_payable'), ...paidToShops.keys()])];
    const [factoryNames, shopNames, campaigns, people] = await Promise.all([
      this.deps.factoryNames(factoryIds),
      this.deps.shopNames(shopIds),
      this.deps.campaigns.search({ ids: subjects('held_deposits') }, Math.max(1, subjects('held_deposits').length)),
      this.deps.accounts.contactsOf(subjects('subscriber_credit')),
    ]);
    const titles = new Map(campaigns.map((c) => [c.id, c.title]));
    const nameOf = (kind: string, id: string | null): string | null => {
      if (id === null) return null;
      if (kind === 'held_deposits') return titles.get(id) ?? null;
      if (kind === 'factory_payable') return factoryNames.get(id) ?? null;
      if (kind === 'commission_payable') return shopNames.get(id) ?? null;
      if (kind === 'subscriber_credit') return people.has(id) ? consumerView(people.get(id)!).name : null;
      return id; // a currency
    };
    const owed = (prefix: string, id: string): Decimal => (balances.get(`${prefix}${id}`) ?? ZERO).negated();
    const shops = [];
    for (const shopId of shopIds) {
      const totals = await this.deps.shopEarnings.totalsOf(shopId);
      shops.push({
        shopId,
        name: shopNames.get(shopId) ?? '',
        payable: formatMoney(owed(COMMISSION_PAYABLE_PREFIX, shopId)),
        pending: formatMoney(totals.pending),
        settled: formatMoney(totals.settled),
        held: formatMoney(totals.held),
        paid: formatMoney(totals.paid),
      });
    }
    return {
      ok: report.ok,
      checkedAt: checkedAt.toISOString(),
      checks: report.checks,
      totals: report.totals,
      // The accounts of the platform always; an account of a campaign, factory, shop or subscriber while it holds something.
      accounts: parsed
        .filter((a) => !(SUBJECT_KINDS as readonly string[]).includes(a.kind) || !a.balance.isZero())
        .sort((a, b) => a.kind.localeCompare(b.kind) || a.account.localeCompare(b.account))
        .map((a) => ({ account: a.account, kind: a.kind, subjectId: a.subjectId, name: nameOf(a.kind, a.subjectId), balance: formatMoney(a.balance) })),
      factories: factoryIds
        .map((factoryId) => {
          const p = payables.find((x) => x.factoryId === factoryId);
          return {
            factoryId,
            name: factoryNames.get(factoryId) ?? '',
            payable: formatMoney(owed(FACTORY_PAYABLE_PREFIX, factoryId)),
            unpaidStatements: formatMoney(p?.unpaidStatements ?? ZERO),
            inFlight: formatMoney(p?.inFlight ?? ZERO),
            paidOut: formatMoney(p?.paidOut ?? ZERO),
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name, 'zh') || a.factoryId.localeCompare(b.factoryId)),
      shops: shops.sort((a, b) => a.name.localeCompare(b.name, 'zh') || a.shopId.localeCompare(b.shopId)),
    };
  }
}
