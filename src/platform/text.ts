import { z } from 'zod';

/** A character that is drawn: not a space, a control or a format character (zero-width space, joiners, marks of direction). */
const VISIBLE = /[^\p{Z}\p{Cc}\p{Cf}]/u;

/**
 * A text other people read (a shop's name on its share card, a line of 红黑榜): trimmed, `min` to `max` characters,
 * and at least one of them drawn. One made only of invisible characters (U+200B, U+200D, U+202E…) would show as a
 * blank, so it is refused as missing: reason `required`.
 */
export function shownText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((text) => VISIBLE.test(text), { message: 'must have a visible character', params: { reason: 'required' } });
}
