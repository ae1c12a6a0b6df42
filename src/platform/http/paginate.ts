import { z } from 'zod';

/** `?limit=&offset=` on every list route. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type PageQuery = z.infer<typeof pageQuery>;

/**
 * Words a list is searched or filtered by (`?q=`, `?actor=`): trimmed, 1 to `max` characters, no control
 * characters (a NUL or a line break in a search is never what someone typed: a 400, reason
 * `invalid_format`). Every free-text filter uses this one rule, and its pattern is in docs/openapi.yaml.
 */
export const searchText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^\P{Cc}*$/u, 'must not contain control characters');

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function page<T>(items: T[], total: number, query: PageQuery): Page<T> {
  return { items, total, limit: query.limit, offset: query.offset };
}

/** A page of a list route's answer, as a schema: `{items, total, limit, offset}`. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.int(), limit: z.int(), offset: z.int() });

/** The answer of a route that lists everything at once (no pages): `{items}`. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
