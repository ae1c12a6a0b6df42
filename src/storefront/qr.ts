import { Router, type RequestHandler } from 'express';
import QRCode from 'qrcode';
import type { CampaignReads } from '../campaigns';
import { notFound } from '../platform/http/app-error';
import { ID_PATTERN } from '../platform/ids';
import { publicOrigin } from './public-url';
import { onlyWithShopCode, type ShopDirectory } from './storefront.routes';

/**
 * A QR code never changes for its URL, and a campaign is never unpublished: a day in any cache is safe
 * when the URL is PUBLIC_BASE_URL's. Taken from the request's host instead, only the browser keeps it,
 * so no shared cache can hand one client's (forwarded) host to another.
 */
/** What a shop code may look like before it is looked up (docs/shop-owners.md: 6 of 23456789ABCDEFGHJKMNPQRSTUVWXYZ). */
const SHOP_CODE = /^[A-Z0-9]{4,12}$/;

const QR_CACHE_CONTROL = { fixed: 'public, max-age=86400', fromRequest: 'private, max-age=86400' };

/**
 * GET /c/:id/qr.svg: the campaign's share link as a QR code (SVG), to show on the page and to print on
 * a poster (WeChat Moments shows only a title and an icon, so a picture with a code is how a link travels
 * there). With `?s=<shop code>` (an approved shop's, else 404) the link carries that code: a shop owner's
 * share kit. Made once per link and kept (a few kilobytes each, at most `maxKept` links).
 */
export function shareCodeRouter(deps: {
  reads: CampaignReads;
  publicBaseUrl: string | undefined;
  shops: ShopDirectory;
  /** The share-link lookup limit per client address, applied when `?s=` is given. */
  shopLookups: RequestHandler;
  maxKept?: number;
}): Router {
  const made = new Map<string, Promise<string>>();
  const maxKept = deps.maxKept ?? 1000;
  const svgOf = (url: string) => {
    let svg = made.get(url);
    if (!svg) {
      // Level M (15% of the code may be damaged) is what phone cameras read well from a screen or a print.
      svg = QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      svg.catch(() => made.delete(url));
      if (made.size >= maxKept) made.delete(made.keys().next().value as string);
      made.set(url, svg);
    }
    return svg;
  };

  const router = Router();
  router.get('/c/:id/qr.svg', onlyWithShopCode(deps.shopLookups), async (req, res) => {
    const id = String(req.params.id);
    const s = typeof req.query.s === 'string' ? req.query.s.toUpperCase() : undefined;
    if (!ID_PATTERN.test(id) || !(await deps.reads.campaign(id))) throw notFound('The campaign');
    if (req.query.s !== undefined && !(s && SHOP_CODE.test(s) && (await deps.shops.approvedByCode(s)))) throw notFound('The shop');
    const svg = await svgOf(`${publicOrigin(req, deps.publicBaseUrl)}/c/${id}${s ? `?s=${s}` : ''}`);
    res.setHeader('Cache-Control', deps.publicBaseUrl ? QR_CACHE_CONTROL.fixed : QR_CACHE_CONTROL.fromRequest);
    res.type('image/svg+xml').send(svg);
  });
  return router;
}
