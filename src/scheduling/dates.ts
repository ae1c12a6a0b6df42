/**
 * Calendar days (YYYY-MM-DD) as plain UTC date math: a calendar day has no time zone, and a luxon
 * object per day would cost more than the rest of a box plan.
 */

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The day's UTC midnight in milliseconds; refuses anything that is not a real YYYY-MM-DD date. */
export function parseDay(date: string): number {
  const ms = DATE_PATTERN.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || dayAfter(ms, 0) !== date) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return ms;
}

/** The date `offset` days after the day parsed as `startMs`. */
export function dayAfter(startMs: number, offset: number): string {
  const date = new Date(startMs + offset * DAY_MS);
  return `${date.getUTCFullYear()}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}`;
}

// Formatting by hand: toISOString() costs four times as much, and a box formats a date per day.
const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** The month (1..12) of a YYYY-MM-DD date. */
export function monthOf(date: string): number {
  parseDay(date);
  return Number(date.slice(5, 7));
}
