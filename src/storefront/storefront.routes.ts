import type { RequestHandler } from 'express';
import { z } from 'zod';
import { CampaignParams, type CampaignReads } from '../campaigns';
import { badRequest, notFound } from '../platform/http/app-error';
import { Download, publicRoute, type RouteDef } from '../platform/http/routes';
import { posterContent, type Posters } from './poster';
import { publicOrigin } from './public-url';
import { type WechatJsSdk, withoutFragment } from './wechat-js-sdk';

export const JsSdkConfigQuery = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be the absolute http(s) URL of the page, such as https://shop.example.com/c/…' }).max(2048),
});

const JsSdkConfig = z
  .union([
    z.object({ enabled: z.literal(false) }),
    z.object({
      enabled: z.literal(true),
      appId: z.string(),
      timestamp: z.int().meta({ description: 'Seconds since 1970' }),
      nonceStr: z.string(),
      signature: z.string().regex(/^[0-9a-f]{40}$/),
    }),
  ])
  .meta({ id: 'WechatJsSdkConfig' });

export const PosterQuery = z.strictObject({
  s: z
    .string()
    .regex(/^[A-Za-z0-9]{4,12}$/, 'must be a shop code: 4 to 12 letters or digits')
    .optional()
    .meta({
      description: "A shop owner's code: the poster's QR code links to the campaign with `?s=` this code, so the pledges it brings count for that shop",
    }),
});

/**
 * A poster's link is the same for everyone when it is PUBLIC_BASE_URL's; taken from the request's host, only
 * the browser may keep it. A minute: what it shows (the price reached) changes while the campaign runs.
 */
const POSTER_CACHE_CONTROL = { fixed: 'public, max-age=60', fromRequest: 'private, max-age=60' };

/** Shop owners' codes, from the shops module (wired in app.ts): the approved shop with this code, or undefined. */
export interface ShopDirectory {
  approvedByCode(code: string): Promise<{ name: string; greeting: string } | undefined>;
}

/** A limit applied only to a request carrying a shop code (`?s=`): a plain poster or QR code is not a lookup. */
export function onlyWithShopCode(limit: RequestHandler): RequestHandler {
  return (req, res, next) => (req.query.s === undefined ? next() : limit(req, res, next));
}

export function storefrontRoutes(deps: {
  wechat: WechatJsSdk | undefined;
  publicBaseUrl: string | undefined;
  reads: CampaignReads;
  posters: Posters;
  shops: ShopDirectory;
  /** The shops module's limit on share-link lookups per client address: a poster with `?s=` tells whether a code is a shop's. */
  shopLookups: RequestHandler;
}): RouteDef[] {
  return [
    publicRoute({
      method: 'get',
      path: '/c/:id/poster.png',
      summary: "A campaign's share poster (PNG, 750×1334): title, price, deposit deal, deadline and a QR code of its link",
      params: CampaignParams,
      query: PosterQuery,
      response: null,
      before: [onlyWithShopCode(deps.shopLookups)],
      doc: {
        description:
          "A picture to save and share where links do not travel (WeChat Moments): the title, the group price now (the tier reached, else the first) with the reference price and the cheapest tier still ahead, the deposit deal (定金 ¥100 抵 ¥200), the deadline in China time (12月20日 20:00 截止) and a QR code of the campaign's absolute link (with `?s=` the shop code when given). Drawn on the server from SVG (CJK fonts: fonts-noto-cjk), kept a while per picture.",
        answer: 'The poster',
        files: { 'image/png': 'The poster, 750×1334 pixels' },
        headers: z.object({
          'If-None-Match': z.string().optional().meta({ description: 'The ETag of a poster already held: 304 if it is still the picture' }),
        }),
        answerHeaders: {
          ETag: 'A strong validator of the picture',
          'Cache-Control': '`public, max-age=60` when PUBLIC_BASE_URL is set, else `private, max-age=60`',
        },
        problems: {
          404: '`not_found`: no published campaign with that id, or `s` is not the code of an approved shop',
          429: '`too_many_shop_lookups`: with `s`, too many share-link lookups from this address in a minute (SHOP_LOOKUPS_PER_MINUTE)',
        },
      },
      handle: async ({ params, query, req }) => {
        const code = query.s?.toUpperCase();
        const [campaign, shop] = await Promise.all([deps.reads.campaign(params.id), code ? deps.shops.approvedByCode(code) : undefined]);
        if (!campaign) throw notFound('The campaign');
        // A poster carries only a real shop's code: an invented one would print a link that binds no one.
        if (code && !shop) throw notFound('The shop');
        const link = `${publicOrigin(req, deps.publicBaseUrl)}/c/${params.id}${code ? `?s=${code}` : ''}`;
        const poster = await deps.posters.of(posterContent(campaign.body, link));
        return new Download('image/png', `poster-${params.id}.png`, poster.png, {
          inline: true,
          etag: poster.etag,
          cacheControl: deps.publicBaseUrl ? POSTER_CACHE_CONTROL.fixed : POSTER_CACHE_CONTROL.fromRequest,
        });
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/wechat/js-sdk-config',
      summary: 'The signed WeChat JS-SDK config for a storefront page, so that a share inside WeChat shows a card',
      query: JsSdkConfigQuery,
      response: JsSdkConfig,
      doc: {
        description:
          "`{ \"enabled\": false }` unless the service has a WeChat official account (WECHAT_APP_ID and WECHAT_APP_SECRET); then the values for `wx.config()`, signed with the account's jsapi_ticket (sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the URL without its `#fragment`). Only pages of the service's own origin (PUBLIC_BASE_URL, else the request's) are signed. Never cached (`Cache-Control: no-store`). `url` is the page's full URL, as `location.href` (a #fragment is ignored).",
        answer: 'The config, or that WeChat share cards are not configured',
        problems: {
          400: '`invalid_query` (no url, or not an absolute http(s) URL); `url_not_our_origin`',
          503: '`wechat_unavailable`: WeChat refused or could not be reached (with Retry-After); the page still shares with its link preview',
        },
      },
      handle: async ({ query, req, res }) => {
        // Signed for one page and one moment: no cache may keep it.
        res.setHeader('Cache-Control', 'no-store');
        if (!deps.wechat) return { enabled: false as const };
        const origin = publicOrigin(req, deps.publicBaseUrl);
        const page = withoutFragment(query.url);
        // Only our own pages (PUBLIC_BASE_URL, required with WeChat): a signature for another site would let it use our official account's JS-SDK.
        if (new URL(page).origin !== origin)
          throw badRequest('url_not_our_origin', `Only pages of ${origin} are signed; this URL is on ${new URL(page).origin}.`);
        return { enabled: true as const, ...(await deps.wechat.configFor(page)) };
      },
    }),
  ];
}
