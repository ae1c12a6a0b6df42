/** `items` in slices of at most `size`: an IN list or a multi-row INSERT stays within what the database takes at once. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
