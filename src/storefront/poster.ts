import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { renderAsync } from '@resvg/resvg-js';
import { DateTime } from 'luxon';
import QRCode from 'qrcode';
import type { CampaignDto } from '../campaigns';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { FreshCache } from '../platform/fresh-cache';
import { escapeHtml } from '../platform/http/storefront';
import { creditToward, yuan } from './share-card';

/** A phone screen's shape (iPhone 8 at 2×), the size Chinese share posters are made in. */
export const POSTER = { width: 750, height: 1334 } as const;

/**
 * Debian's fonts-noto-cjk (a production server needs that package): without a CJK font every Chinese
 * character would be drawn as a box. Elsewhere the system's fonts are searched instead.
 */
const CJK_FONTS = ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc'];
const FAMILY = 'Noto Sans CJK SC';

const MARGIN = 56;
const TEXT_WIDTH = POSTER.width - 2 * MARGIN;

/** What a poster shows: pure data, so the same campaign state gives the same picture (and ETag). */
export interface PosterContent {
  title: string;
  /** The product, when the title does not already say it. */
  product: string | null;
  price: string;
  priceLabel: string;
  /** "最低 ¥700", when more pledges would make it cheaper still. */
  lowest: string | null;
  reference: string;
  deposit: string;
  deadline: string;
  link: string;
}

/**
 * The poster's words from the campaign as anyone sees it: the price it would be bought at now (the tier
 * reached, or the first tier: 成团价), the cheapest tier if still ahead, the reference price, the deposit
 * deal (定金 ¥100 抵 ¥200) and the deadline in China time.
 */
export function posterContent(c: CampaignDto, link: string): PosterContent {
  const now = c.progress.currentTier ?? c.tiers[0];
  const credit = creditToward(c, now.unitPrice);
  const cheapest = c.tiers[c.tiers.length - 1];
  const closes = DateTime.fromISO(c.closesAt, { zone: BUSINESS_TIME_ZONE });
  const live = c.status === 'open' || c.status === 'scheduled';
  return {
    title: c.title,
    product: c.title.toLowerCase().includes(c.productName.toLowerCase()) ? null : c.productName,
    price: yuan(now.unitPrice),
    priceLabel: c.progress.currentTier ? '已达成团价' : '成团价',
    lowest: live && cheapest.unitPrice !== now.unitPrice ? `人越多越便宜 · 最低 ${yuan(cheapest.unitPrice)}` : null,
    reference: `参考价 ${yuan(c.referencePrice)}`,
    deposit: credit === c.depositPerUnit ? `定金 ${yuan(c.depositPerUnit)}` : `定金 ${yuan(c.depositPerUnit)} 抵 ${yuan(credit)}`,
    deadline: live ? `${closes.toFormat('M月d日 HH:mm')} 截止` : c.status === 'succeeded' || c.status === 'completed' ? '已成团' : '已结束',
    link,
  };
}

/** The poster as SVG: every text escaped (and stripped of what XML cannot hold), the QR code drawn as one path. */
export function posterSvg(p: PosterContent): string {
  // A title of emoji only has nothing left to draw: the product's name stands in for it (and is not repeated below).
  const product = plain(p.product ?? '');
  const titleText = plain(p.title) || product;
  const title = wrap(titleText, 48, TEXT_WIDTH, 3);
  const titleTop = 190;
  const line = (y: number, size: number, text: string, attrs = '') =>
    `<text x="${MARGIN}" y="${y}" font-size="${size}"${attrs}>${escapeHtml(ellipsize(plain(text), size, TEXT_WIDTH))}</text>`;
  let y = titleTop + title.length * 64;
  const parts = [
    `<rect width="${POSTER.width}" height="${POSTER.height}" fill="#fff7f2"/>`,
    `<rect width="${POSTER.width}" height="120" fill="#e4393c"/>`,
    `<text x="${MARGIN}" y="78" font-size="40" font-weight="700" fill="#fff">拼单预售</text>`,
    ...title.map((text, i) => `<text x="${MARGIN}" y="${titleTop + i * 64}" font-size="48" font-weight="700" fill="#222">${escapeHtml(text)}</text>`),
  ];
  if (product && product !== titleText) {
    parts.push(line(y, 32, product, ' fill="#666"'));
    y += 48;
  }
  y += 50;
  parts.push(line(y, 32, p.priceLabel, ' fill="#e4393c"'));
  y += 100;
  parts.push(line(y, 100, p.price, ' font-weight="700" fill="#e4393c"'));
  y += 56;
  parts.push(line(y, 32, p.reference, ' fill="#999"'));
  if (p.lowest) {
    y += 48;
    parts.push(line(y, 32, p.lowest, ' fill="#e4393c"'));
  }
  y += 40;
  parts.push(
    `<rect x="${MARGIN}" y="${y}" width="${TEXT_WIDTH}" height="96" rx="16" fill="#e4393c"/>`,
    `<text x="${POSTER.width / 2}" y="${y + 64}" font-size="44" font-weight="700" fill="#fff" text-anchor="middle">${escapeHtml(ellipsize(plain(p.deposit), 44, TEXT_WIDTH - 40))}</text>`,
  );
  y += 156;
  parts.push(line(y, 36, p.deadline, ' fill="#333"'));

  // Below everything above (at most y = 880 with a three-line title and every line there is).
  const qrSize = 260;
  const qrTop = POSTER.height - qrSize - 60;
  parts.push(
    `<rect x="${MARGIN}" y="${qrTop}" width="${qrSize}" height="${qrSize}" fill="#fff"/>`,
    qrPath(p.link, MARGIN, qrTop, qrSize),
    `<text x="${MARGIN + qrSize + 40}" y="${qrTop + 116}" font-size="34" font-weight="700" fill="#222">长按识别二维码</text>`,
    `<text x="${MARGIN + qrSize + 40}" y="${qrTop + 170}" font-size="30" fill="#666">一起拼单更便宜</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${POSTER.width}" height="${POSTER.height}" viewBox="0 0 ${POSTER.width} ${POSTER.height}" font-family="${FAMILY}">${parts.join('')}</svg>`;
}

/** The link's QR code in a square: level M with a quiet zone of 2 modules, as /c/:id/qr.svg draws it, so phone cameras read both alike. */
function qrPath(link: string, x: number, y: number, size: number): string {
  const { modules } = QRCode.create(link, { errorCorrectionLevel: 'M' });
  const quiet = 2;
  const unit = size / (modules.size + 2 * quiet);
  let d = '';
  for (let row = 0; row < modules.size; row++)
    for (let col = 0; col < modules.size; col++) if (modules.get(row, col)) d += `M${col + quiet} ${row + quiet}h1v1h-1z`;
  return `<path transform="translate(${x} ${y}) scale(${unit})" fill="#000" shape-rendering="crispEdges" d="${d}"/>`;
}

/** Roughly how wide a text is drawn: a CJK character is a full em, a Latin one at most about 0.62 of it. */
function width(text: string, size: number): number {
  let em = 0;
  for (const ch of graphemes(text)) em += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.62;
  return em * size;
}

const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'grapheme' });

/** What a reader sees as one character (a letter with its accents, a Thai syllable part): a line is never cut inside one. */
function graphemes(text: string): string[] {
  return Array.from(SEGMENTER.segment(text), (s) => s.segment);
}

function ellipsize(text: string, size: number, max: number): string {
  if (width(text, size) <= max) return text;
  const chars = graphemes(text);
  while (chars.length > 0 && width(`${chars.join('')}…`, size) > max) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}

/** Lines of at most `max` wide, at most `lines` of them, the last one ellipsized if the text goes on (SVG text does not wrap by itself). */
function wrap(text: string, size: number, max: number, lines: number): string[] {
  const out: string[] = [];
  let rest = graphemes(text.replace(/\s+/g, ' ').trim());
  while (rest.length > 0 && out.length < lines - 1) {
    let n = 0;
    while (n < rest.length && width(rest.slice(0, n + 1).join(''), size) <= max) n++;
    if (n === rest.length) break;
    // A Latin word is not cut in the middle when a space comes earlier on the line.
    const space = rest.slice(0, n + 1).lastIndexOf(' ');
    const cut = space > n / 2 && !/[\u2e80-\uffff]/.test(rest[n]) ? space : n;
    out.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
    while (rest[0] === ' ') rest.shift();
  }
  if (rest.length > 0) out.push(ellipsize(rest.join(''), size, max));
  return out;
}

/**
 * Emoji (🍊, 🔥, 👨‍👩‍👧, flags, keycaps) with what joins and modifies them. resvg draws no colour-emoji font (Noto Color
 * Emoji's bitmaps come out blank) and falls back to no other font, so each would be an empty box on the poster: they
 * are left out of its text. Text-style symbols the CJK font has (©, ™, ★) stay.
 */
const EMOJI =
  /(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator})\p{Emoji_Modifier}?(?:\u200D\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?)*[\u{E0020}-\u{E007F}]*|[\uFE0E\uFE0F\u20E3\u200D]/gu;

/**
 * Without the control characters and lone surrogates XML 1.0 cannot hold even escaped (the rest is escaped where it is
 * written), and without emoji (EMOJI), the spaces they leave collapsed.
 */
function plain(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
      .replace(EMOJI, '')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

/** A rendered poster and its strong validator (a hash of its SVG: the same picture, the same ETag). */
export interface RenderedPoster {
  png: Buffer;
  etag: string;
}

/**
 * Posters as PNG, drawn from SVG by resvg (no browser). A shared poster is fetched by many phones at once,
 * and a render takes tens of milliseconds, so renders are kept by their SVG's hash for `maxAgeMs` (one at a
 * time per picture); what a campaign's poster shows changes only with its price, deposit or deadline.
 */
export class Posters {
  private readonly rendered: FreshCache<string, Buffer>;
  private readonly fonts = CJK_FONTS.filter((file) => existsSync(file));

  constructor(options: { maxAgeMs: number; maxEntries?: number }) {
    // A poster is about 100 kB: 200 of them are 20 MB at most.
    this.rendered = new FreshCache({ maxAgeMs: options.maxAgeMs, maxEntries: options.maxEntries ?? 200 });
  }

  /** Renders started: what the posters asked for cost (for tests). */
  get renders(): number {
    return this.rendered.loads;
  }

  async of(content: PosterContent): Promise<RenderedPoster> {
    const svg = posterSvg(content);
    const hash = createHash('sha1').update(svg).digest('base64url');
    const png = await this.rendered.get(hash, () => this.render(svg));
    return { png, etag: `"${hash}"` };
  }

  /** On libuv's thread pool (renderAsync), not the event loop: the API keeps answering while a poster is drawn. */
  private async render(svg: string): Promise<Buffer> {
    const font = this.fonts.length > 0 ? { loadSystemFonts: false, fontFiles: this.fonts } : { loadSystemFonts: true };
    return (await renderAsync(svg, { font: { ...font, defaultFontFamily: FAMILY } })).asPng();
  }
}
