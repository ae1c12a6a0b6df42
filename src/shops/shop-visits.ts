import type { CampaignReads } from '../campaigns';
import { businessDay } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Database } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { ShopOwners } from './shop-owners';

/** Visits to one shop's links: per campaign ('' is the shop page), all days and the China day of `today`. */
export type VisitCounts = Map<string, { visits: number; today: number }>;

/**
 * Visits through share links (docs/shop-owners.md § Visits): a page opened with `?s=<code>` reports itself
 * once; an anonymous visitor counts at most once per shop, campaign and China day, by the table's primary
 * key (a repeat inserts nothing). Visits are shown to the shop owner and pay nothing: sharing as such is
 * never rewarded.
 */
export class ShopVisits {
  constructor(private readonly deps: { db: Database; clock: Clock; owners: ShopOwners; campaignReads: CampaignReads }) {}

  /** Counts a visit; an unknown shop code or campaign is 404 and changes nothing. */
  async record(input: { code: string; campaignId?: string; visitorId: string }): Promise<void> {
    const [shop, campaign] = await Promise.all([
      this.deps.owners.approvedByCode(input.code),
      input.campaignId ? this.deps.campaignReads.campaign(input.campaignId) : undefined,
    ]);
    if (!shop) throw notFound('The shop');
    if (input.campaignId && !campaign) throw notFound('The campaign');
    const now = this.deps.clock.now();
    const row = { shop_id: shop.id, campaign_id: input.campaignId ?? '', day: businessDay(now), visitor_id: input.visitorId, first_seen_at: now };
    await this.deps.db.statement((tx) => this.deps.db.insertRows(tx, 'shop_visits', [row], { ignoreDuplicates: true }));
  }

  /** Which of these shops have had at least one visit through their links (the marks module's activity rule). */
  async visitedShops(shopIds: readonly string[]): Promise<Set<string>> {
    if (shopIds.length === 0) return new Set();
    const { rows } = await this.deps.db.read((tx) =>
      this.deps.db.sql<{ shop_id: string }>(tx, `SELECT DISTINCT shop_id FROM shop_visits WHERE shop_id IN (${shopIds.map(() => '?').join(', ')})`, [
        ...shopIds,
      ]),
    );
    return new Set(rows.map((r) => r.shop_id));
  }

  async countsOf(shopId: string): Promise<VisitCounts> {
    const today = businessDay(this.deps.clock.now());
    const { rows } = await this.deps.db.read((tx) =>
      this.deps.db.sql<{ campaign_id: string; visits: number | string; today: number | string | null }>(
        tx,
        'SELECT campaign_id, COUNT(*) AS visits, SUM(CASE WHEN day = ? THEN 1 ELSE 0 END) AS today FROM shop_visits WHERE shop_id = ? GROUP BY campaign_id',
        [today, shopId],
      ),
    );
    return new Map(rows.map((r) => [r.campaign_id, { visits: Number(r.visits), today: Number(r.today ?? 0) }]));
  }
}
