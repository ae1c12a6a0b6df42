import type { CampaignReads } from '../campaigns';
import type { LevelStanding } from '../commissions';
import type { Principal } from '../platform/http/principal';
import type { Decimal } from '../platform/money';
import type { ShopRow } from './shop.entity';
import type { ShopOwners } from './shop-owners';
import type { ShopVisits } from './shop-visits';

type Consumer = Extract<Principal, { role: 'consumer' }>;

/** The pledges module's aggregate of a shop's pledges per campaign (PledgeReads.countsByShop), wired in app.ts. */
export interface ShopSales {
  countsByShop(shopId: string): Promise<{ campaignId: string; pledges: number; units: number }[]>;
}

/** The commissions module's level of a shop owner (Commissions.levelOf, outside any transaction), wired in app.ts. */
export interface ShopStandings {
  levelOf(tx: undefined, shopId: string): Promise<LevelStanding>;
}

/** The payouts module's money of a shop owner's commission (ShopEarnings.totalsOf), wired in app.ts. */
export interface ShopEarningsSource {
  totalsOf(shopId: string): Promise<{ pending: Decimal; settled: Decimal; paid: Decimal }>;
}

export interface CampaignActivity {
  campaignId: string;
  /** As the public sees it; null if the campaign is no longer public. */
  title: string | null;
  visits: number;
  visitsToday: number;
  pledges: number;
  units: number;
}

export interface Dashboard {
  shop: ShopRow;
  shopPage: { visits: number; visitsToday: number };
  campaigns: CampaignActivity[];
  /** Their level, earned by their own completed sales, and what the next one needs. */
  level: LevelStanding;
  /** Commission not yet final, settled and not yet paid, and paid out (docs/shop-owners.md § Pending, settled, paid). */
  commission: { pending: Decimal; settled: Decimal; paid: Decimal };
}

/**
 * A shop owner's own figures (docs/shop-owners.md § Dashboard): visits to their links, and the pledges and
 * units attributed to them, per campaign; their level and what the next one needs; their commission pending, settled and paid. Each campaign the shop shows or that has activity is listed: those
 * with the most units first, then by visits.
 */
export class ShopDashboard {
  constructor(
    private readonly deps: {
      owners: ShopOwners;
      visits: ShopVisits;
      sales: ShopSales;
      standings: ShopStandings;
      earnings: ShopEarningsSource;
      campaignReads: CampaignReads;
    },
  ) {}

  async of(consumer: Consumer): Promise<Dashboard> {
    const shop = await this.deps.owners.approvedOf(consumer);
    const [visits, sales, level, commission] = await Promise.all([
      this.deps.visits.countsOf(shop.id),
      this.deps.sales.countsByShop(shop.id),
      this.deps.standings.levelOf(undefined, shop.id),
      this.deps.earnings.totalsOf(shop.id),
    ]);
    const salesBy = new Map(sales.map((s) => [s.campaignId, s]));
    const ids = [...new Set([...shop.campaignIds, ...sales.map((s) => s.campaignId), ...[...visits.keys()].filter((id) => id !== '')])];
    const reads = await Promise.all(ids.map((id) => this.deps.campaignReads.campaign(id)));
    const campaigns = ids.map((campaignId, i) => ({
      campaignId,
      title: reads[i]?.body.title ?? null,
      visits: visits.get(campaignId)?.visits ?? 0,
      visitsToday: visits.get(campaignId)?.today ?? 0,
      pledges: salesBy.get(campaignId)?.pledges ?? 0,
      units: salesBy.get(campaignId)?.units ?? 0,
    }));
    campaigns.sort((a, b) => b.units - a.units || b.visits - a.visits);
    const page = visits.get('');
    return { shop, shopPage: { visits: page?.visits ?? 0, visitsToday: page?.today ?? 0 }, campaigns, level, commission };
  }
}
