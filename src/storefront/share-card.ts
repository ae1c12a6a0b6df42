import { DateTime } from 'luxon';
import { type CampaignDto, creditedPerUnit } from '../campaigns';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { escapeHtml } from '../platform/http/storefront';
import { formatMoney, parseMoney } from '../platform/money';

/** Pure: what a page's <head> says, and what a chat app shows when its link is shared (Open Graph, Twitter card). No IO. */

export type Lang = 'zh-CN' | 'en';

// The app's own name (storefront/src/i18n: app.name), so the tab and the share card say the same.
const SITE = { 'zh-CN': '拼单预售', en: 'Joint pre-orders' } as const;

/** ¥100 for a whole amount, ¥99.90 otherwise: how Chinese shops write prices. */
export function yuan(amount: string): string {
  return `¥${amount.endsWith('.00') ? amount.slice(0, -3) : amount}`;
}

/** What a unit's deposit counts toward `price` (定金膨胀): never more than the price, as a pledge is charged. */
export function creditToward(c: CampaignDto, price: string): string {
  return formatMoney(creditedPerUnit({ depositPerUnit: parseMoney(c.depositPerUnit), depositCreditRate: c.depositCreditRate }, parseMoney(price)));
}

/** Day and month in China time: 12月20日 / 20 Dec. */
function day(iso: string, lang: Lang): string {
  const at = DateTime.fromISO(iso, { zone: BUSINESS_TIME_ZONE });
  return lang === 'zh-CN' ? `${at.month}月${at.day}日` : at.setLocale('en-GB').toFormat('d LLL');
}

/**
 * One line for a campaign's share card, from the same DTO as GET /v1/campaigns/:id: the deposit deal
 * (定金 and what it counts for, 定金膨胀), the price it would be bought at now (the tier reached, or the
 * first tier's: 成团价), and the deadline or the outcome. "付定金 ¥100 抵 ¥200 · 成团价 ¥900 · 12月20日截止".
 */
export function campaignSummary(c: CampaignDto, lang: Lang): string {
  const deposit = c.depositPerUnit;
  const price = (c.progress.currentTier ?? c.tiers[0]).unitPrice;
  const credit = creditToward(c, price);
  const zh = lang === 'zh-CN';
  const parts = [
    zh ? `付定金 ${yuan(deposit)} 抵 ${yuan(credit)}` : `Deposit ${yuan(deposit)} counts as ${yuan(credit)}`,
    zh ? `成团价 ${yuan(price)}` : `Group price ${yuan(price)}`,
  ];
  switch (c.status) {
    case 'scheduled':
      parts.push(zh ? `${day(c.opensAt, lang)}开团` : `Opens ${day(c.opensAt, lang)}`, zh ? `${day(c.closesAt, lang)}截止` : `Ends ${day(c.closesAt, lang)}`);
      break;
    case 'open':
      if (c.progress.pledgers > 0) parts.push(zh ? `已有 ${c.progress.pledgers} 人参与` : `${c.progress.pledgers} joined`);
      parts.push(zh ? `${day(c.closesAt, lang)}截止` : `Ends ${day(c.closesAt, lang)}`);
      break;
    case 'succeeded':
    case 'completed':
      parts.push(zh ? '已成团' : 'Reached its goal');
      break;
    case 'failed':
      parts.push(zh ? '未成团，定金已全额退回' : 'Goal not reached: deposits refunded in full');
      break;
    case 'cancelled':
      parts.push(zh ? '已取消，定金已退回' : 'Cancelled: deposits refunded');
      break;
    default:
      break;
  }
  return parts.join(' · ');
}

export interface Card {
  title: string;
  description: string;
  /** Absolute. */
  url: string;
  image?: string | null;
  type?: 'website' | 'product';
  /** A page that should not be indexed (a campaign that does not exist, a personal screen). */
  noindex?: boolean;
}

/** <title>, description, canonical link, Open Graph, Twitter card and the itemprop tags older Chinese in-app browsers read; every value escaped. */
export function headHtml(card: Card, lang: Lang): string {
  const a = escapeHtml;
  const site = SITE[lang];
  const title = card.title === site ? site : `${card.title} | ${site}`;
  const tags = [
    `<title>${a(title)}</title>`,
    `<meta name="description" content="${a(card.description)}">`,
    card.noindex ? '<meta name="robots" content="noindex">' : `<link rel="canonical" href="${a(card.url)}">`,
    `<meta property="og:type" content="${card.type ?? 'website'}">`,
    `<meta property="og:site_name" content="${a(site)}">`,
    `<meta property="og:locale" content="${lang === 'zh-CN' ? 'zh_CN' : 'en_GB'}">`,
    `<meta property="og:title" content="${a(card.title)}">`,
    `<meta property="og:description" content="${a(card.description)}">`,
    `<meta property="og:url" content="${a(card.url)}">`,
    ...(card.image ? [`<meta property="og:image" content="${a(card.image)}">`] : []),
    `<meta name="twitter:card" content="${card.image ? 'summary_large_image' : 'summary'}">`,
    `<meta name="twitter:title" content="${a(card.title)}">`,
    `<meta name="twitter:description" content="${a(card.description)}">`,
    ...(card.image ? [`<meta name="twitter:image" content="${a(card.image)}">`] : []),
    `<meta itemprop="name" content="${a(card.title)}">`,
    `<meta itemprop="description" content="${a(card.description)}">`,
    ...(card.image ? [`<meta itemprop="image" content="${a(card.image)}">`] : []),
  ];
  return tags.join('\n    ');
}

export function campaignCard(c: CampaignDto, url: string, lang: Lang): Card {
  // imageUrl is the campaign's share picture (an https URL, or null), added to the DTO by the storefront work on campaigns.
  const image = (c as { imageUrl?: string | null }).imageUrl ?? null;
  return { title: c.title, description: campaignSummary(c, lang), url, image, type: 'product' };
}

export function missingCampaignCard(url: string, lang: Lang): Card {
  return lang === 'zh-CN'
    ? { title: '找不到这个预售', description: '这个链接没有对应的预售：可能写错了，或者预售还没有发布。', url, noindex: true }
    : { title: 'Pre-order not found', description: 'There is no pre-order at this link: it may be mistyped, or not published yet.', url, noindex: true };
}

/** A shop owner's shop page (/s/:code): their shop's name and greeting, as they wrote them. */
export function shopCard(shop: { name: string; greeting: string }, url: string, lang: Lang): Card {
  const fallback = lang === 'zh-CN' ? '和大家一起预订工厂好货与当季水果。' : 'Pre-order factory goods and seasonal fruit together.';
  return { title: shop.name, description: shop.greeting || fallback, url };
}

export function missingShopCard(url: string, lang: Lang): Card {
  return lang === 'zh-CN'
    ? { title: '店铺不存在', description: '这个链接没有对应的店铺：可能写错了。', url, noindex: true }
    : { title: 'Shop not found', description: 'There is no shop at this link: it may be mistyped.', url, noindex: true };
}

export function homeCard(url: string, lang: Lang): Card {
  return lang === 'zh-CN'
    ? { title: SITE[lang], description: '和大家一起预订工厂好货与当季水果：参与的人越多，价格越低；未成团，定金全额退。', url }
    : {
        title: SITE[lang],
        description:
          'Pre-order factory goods and seasonal fruit together: the more people join, the lower the price; if the goal is not reached, your deposit comes back in full.',
        url,
      };
}

/** The other screens (sign-in, my orders, payment…): the site's name, and not indexed (they are personal). */
export function screenCard(url: string, lang: Lang): Card {
  return { ...homeCard(url, lang), noindex: true };
}
