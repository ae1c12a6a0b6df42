/**
 * How the portal writes numbers, money and dates. Factory staff are in China: every date and time is
 * shown in Asia/Shanghai whatever the browser's zone, and dates are written the same way in both
 * languages (2026-11-30 14:05), so a date read in the portal matches the one in the CSV.
 */

export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';
export type Language = 'zh' | 'en';

const LOCALES: Record<Language, string> = { zh: 'zh-CN', en: 'en-US' };
const DAY_MS = 86_400_000;
const MONEY = /^(-?)(\d+)\.(\d{2})$/;

/** Whole units (pieces, kg) with thousands separators: 12,345. */
export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: 1 }).format(value);
}

/** A change since the previous version: +12, −3, or 0. */
export function formatChange(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language], { signDisplay: 'exceptZero' }).format(value);
}

/** A percentage from the API (already × 100, one decimal), or a dash when there is none. */
export function formatPercent(value: number | null, language: Language): string {
  if (value === null) return '—';
  return `${new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: 1 }).format(value)}%`;
}

/** A ratio from the API (three decimals, such as produced ÷ paid: 1.019), or a dash when there is none. */
export function formatRatio(value: number | null, language: Language): string {
  if (value === null) return '—';
  return new Intl.NumberFormat(LOCALES[language], { minimumFractionDigits: 2, maximumFractionDigits: 3 }).format(value);
}

/**
 * An amount from the API ("1234.50", always two decimals) as ¥1,234.50. Formatted from the text itself,
 * never through a JavaScript number, so no amount is ever rounded on its way to the screen.
 */
export function formatMoney(amount: string): string {
  const match = MONEY.exec(amount);
  if (!match) throw new Error(`not an amount: ${amount}`);
  const [, sign, whole, fen] = match;
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${grouped}.${fen}`;
}

function shanghaiParts(instant: Date): Record<'year' | 'month' | 'day' | 'hour' | 'minute', string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: BUSINESS_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute') };
}

/** An instant from the API (ISO 8601, UTC) as Shanghai wall-clock time: 2026-11-30 14:05. */
export function formatDateTime(iso: string): string {
  const p = shanghaiParts(new Date(iso));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** The business day (YYYY-MM-DD) an instant falls on in Shanghai. */
export function shanghaiDay(instant: Date): string {
  const p = shanghaiParts(instant);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Whole days until a deadline, rounded up (a campaign closing in 3 hours has 1 day left); 0 once passed. */
export function daysLeft(closesAt: string, now: Date): number {
  return Math.max(0, Math.ceil((new Date(closesAt).getTime() - now.getTime()) / DAY_MS));
}

/**
 * An ISO week with its dates, as planners read it: "2027-W05 · 1月25日–31日" ("2027-W05 · Jan 25–31");
 * the second month is written only when the week runs into it ("2026-W53 · 12月28日–1月3日").
 */
export function formatWeek(week: string, language: Language): string {
  const { monday, sunday } = isoWeekDays(week);
  const [m1, d1, m2, d2] = [monday.slice(5, 7), monday.slice(8), sunday.slice(5, 7), sunday.slice(8)].map(Number);
  if (language === 'zh') return `${week} · ${m1}月${d1}日–${m1 === m2 ? '' : `${m2}月`}${d2}日`;
  const month = (m: number) => new Intl.DateTimeFormat('en', { month: 'short', timeZone: 'UTC' }).format(Date.UTC(2000, m - 1, 1));
  return `${week} · ${month(m1)} ${d1}–${m1 === m2 ? '' : `${month(m2)} `}${d2}`;
}

/** Monday and Sunday of an ISO week such as 2027-W04 (week 1 is the week with the year's first Thursday). */
export function isoWeekDays(week: string): { monday: string; sunday: string } {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!match) throw new Error(`not an ISO week: ${week}`);
  const year = Number(match[1]);
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = new Date(jan4).getUTCDay() || 7;
  const monday = jan4 - (weekday - 1) * DAY_MS + (Number(match[2]) - 1) * 7 * DAY_MS;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { monday: day(monday), sunday: day(monday + 6 * DAY_MS) };
}

/** Every day from `from` to `to` (YYYY-MM-DD, both included). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS) days.push(new Date(ms).toISOString().slice(0, 10));
  return days;
}
