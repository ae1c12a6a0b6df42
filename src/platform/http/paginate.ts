import { z } from 'zod';

/** `?limit=&offset=` on every list route. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type PageQuery = z.infer<typeof pageQuery>;

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
