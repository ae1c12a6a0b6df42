import type { Request } from 'express';
import { z } from 'zod';

/** The languages a person reads our texts in: Chinese first (the product's users), English switchable. */
export type Language = 'zh-CN' | 'en';
export const DEFAULT_LANGUAGE: Language = 'zh-CN';

/** `?lang=zh-CN|zh|en`: an explicit choice, which beats the browser's Accept-Language. */
export const languageQuery = z.enum(['zh-CN', 'zh', 'en'], { message: 'must be zh-CN or en' }).transform((l): Language => (l === 'en' ? 'en' : 'zh-CN'));

/**
 * The language of a request: `?lang=` when given, else the first of Chinese or English the
 * Accept-Language header prefers (by q-value, then order), else Chinese. A header naming neither
 * (fr, *) means Chinese too.
 */
export function requestLanguage(req: Pick<Request, 'headers'>, explicit?: Language): Language {
  if (explicit) return explicit;
  const header = req.headers['accept-language'];
  if (typeof header !== 'string' || header.length > 1000) return DEFAULT_LANGUAGE;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { primary: tag.split('-')[0], quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((l) => l.quality > 0 && (l.primary === 'zh' || l.primary === 'en'))
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  return ranked[0]?.primary === 'en' ? 'en' : DEFAULT_LANGUAGE;
}
