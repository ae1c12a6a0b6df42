import type { Request } from 'express';
import type { Lang } from './share-card';

/** What a Host header may be: a name or an IPv4/IPv6 address, and a port. Anything else is not used to build a link. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin people reach us at, for absolute links (og:url, share links, QR codes, which URLs the
 * WeChat JS-SDK config is signed for): PUBLIC_BASE_URL when set (what production should do), else the
 * request's own scheme and host, as express reads them: X-Forwarded-Proto and X-Forwarded-Host count
 * only from the proxies TRUST_PROXY trusts.
 */
export function publicOrigin(req: Request, configured: string | undefined): string {
  if (configured) return configured;
  const host = req.host;
  return `${req.protocol}://${host && HOST.test(host) ? host : 'localhost'}`;
}

/** The page's language: ?lang=en or ?lang=zh-CN, else the browser's preference between Chinese and English; Chinese by default. */
export function pageLanguage(req: Request): Lang {
  const asked = req.query.lang;
  if (asked === 'en' || asked === 'zh-CN' || asked === 'zh') return asked === 'en' ? 'en' : 'zh-CN';
  return req.acceptsLanguages('zh', 'en') === 'en' ? 'en' : 'zh-CN';
}
