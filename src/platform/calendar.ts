import { DateTime } from 'luxon';

/** The business runs on China time: business days, weeks and recurring jobs are in this zone. */
export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

/** The business day (YYYY-MM-DD, Asia/Shanghai) an instant falls on. */
export function businessDay(at: Date): string {
  // The last day asked for, with its bounds: a batch of pledges asks for the same day hundreds of times, and luxon's
  // time-zone arithmetic was 1–2 % of a pledge spike's CPU.
  const t = at.getTime();
  if (lastDay && t >= lastDay.from && t < lastDay.to) return lastDay.day;
  const start = DateTime.fromJSDate(at, { zone: BUSINESS_TIME_ZONE }).startOf('day');
  if (!start.isValid) return start.toISODate()!;
  lastDay = { day: start.toISODate()!, from: start.toMillis(), to: start.plus({ days: 1 }).toMillis() };
  return lastDay.day;
}

let lastDay: { day: string; from: number; to: number } | undefined;

/** An instant as a person in China reads it, for messages: "2026-12-21 07:00 北京时间" (in English "2026-12-21 07:00 China time"). */
export function formatBusinessTime(at: Date, language: 'zh-CN' | 'en' = 'zh-CN'): string {
  return `${DateTime.fromJSDate(at, { zone: BUSINESS_TIME_ZONE }).toFormat('yyyy-MM-dd HH:mm')} ${language === 'en' ? 'China time' : '北京时间'}`;
}

/** The start of a business day (YYYY-MM-DD) as an instant. */
export function startOfBusinessDay(day: string): Date {
  return DateTime.fromISO(day, { zone: BUSINESS_TIME_ZONE }).startOf('day').toJSDate();
}

/** The ISO week (e.g. 2027-W03) of a calendar date (YYYY-MM-DD). */
export function isoWeekOf(date: string): string {
  const d = DateTime.fromISO(date, { zone: BUSINESS_TIME_ZONE });
  return `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}`;
}

/** The first and last calendar dates (YYYY-MM-DD) of an ISO week such as 2027-W03. */
export function isoWeekDates(week: string): { first: string; last: string } {
  const monday = DateTime.fromISO(week, { zone: BUSINESS_TIME_ZONE });
  return { first: monday.toISODate()!, last: monday.plus({ days: 6 }).toISODate()! };
}
