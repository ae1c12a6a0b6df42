import type { Request } from 'express';
import type { CampaignReads } from '../campaigns';
import { FreshCache } from '../platform/fresh-cache';
import type { RenderStorefrontPage, StorefrontPage, StorefrontRoute } from '../platform/http/storefront';
import { ID_PATTERN } from '../platform/ids';
import { type SubscriptionCatalogue, toPlanDto } from '../subscriptions';
import { pageLanguage, publicOrigin } from './public-url';
import { campaignCard, headHtml, homeCard, missingCampaignCard, missingShopCard, screenCard, shopCard } from './share-card';
import type { ShopDirectory } from './storefront.routes';

/** How many live and how many upcoming campaigns the home page paints first (the app pages through the rest from the API). */
const HOME_CAMPAIGNS = 20;

/**
 * The server's part of each storefront page: the <head> (title, description, share-card meta) and the
 * data the app paints first (`{ campaign }` on /c/:id, `{ campaigns, plans }` on /), both from the same
 * DTOs as the API and read through the same cache of at most a second, so a page never waits on more
 * than one database read per campaign per second, however many open it.
 */
export function storefrontPages(deps: {
  reads: CampaignReads;
  subscriptions: Pick<SubscriptionCatalogue, 'plans'>;
  publicBaseUrl: string | undefined;
  cacheMs: number;
  shops: ShopDirectory;
}): RenderStorefrontPage {
  // Plans change when an operator changes them: a second late on a page is fine, a read per page view is not.
  const plans = new FreshCache<'plans', ReturnType<typeof toPlanDto>[]>({ maxAgeMs: deps.cacheMs, maxEntries: 1 });
  const planDtos = () => plans.get('plans', async () => (await deps.subscriptions.plans()).map(toPlanDto));

  return async (req: Request, route: StorefrontRoute): Promise<StorefrontPage> => {
    const lang = pageLanguage(req);
    const origin = publicOrigin(req, deps.publicBaseUrl);
    switch (route) {
      case '/c/:id': {
        const id = String(req.params.id);
        const url = `${origin}/c/${encodeURIComponent(id)}`;
        const read = ID_PATTERN.test(id) ? await deps.reads.campaign(id) : undefined;
        // An unknown (or unpublished) campaign: the app's own "not found" screen, with a status a crawler understands.
        if (!read) return { status: 404, head: headHtml(missingCampaignCard(url, lang), lang), data: { campaign: null } };
        return { status: 200, head: headHtml(campaignCard(read.body, url, lang), lang), data: { campaign: read.body } };
      }
      case '/': {
        const [open, upcoming, planList] = await Promise.all([
          deps.reads.list({ status: 'open', limit: HOME_CAMPAIGNS, offset: 0 }),
          deps.reads.list({ status: 'scheduled', limit: HOME_CAMPAIGNS, offset: 0 }),
          planDtos(),
        ]);
        return {
          status: 200,
          head: headHtml(homeCard(`${origin}/`, lang), lang),
          data: { campaigns: [...open.body.items, ...upcoming.body.items], plans: planList },
        };
      }
      case '/s/:code': {
        const code = String(req.params.code).toUpperCase();
        const url = `${origin}/s/${encodeURIComponent(code)}`;
        const shop = /^[A-Z0-9]{4,12}$/.test(code) ? await deps.shops.approvedByCode(code) : undefined;
        // The app asks GET /v1/shops/:code for the page itself; the server gives a share card, and 404 to a crawler for an unknown code.
        if (!shop) return { status: 404, head: headHtml(missingShopCard(url, lang), lang), data: {} };
        return { status: 200, head: headHtml(shopCard(shop, url, lang), lang), data: {} };
      }
      case '/plans':
        return { status: 200, head: headHtml(homeCard(`${origin}/plans`, lang), lang), data: {} };
      default:
        return { status: 200, head: headHtml(screenCard(`${origin}${req.path}`, lang), lang), data: {} };
    }
  };
}
