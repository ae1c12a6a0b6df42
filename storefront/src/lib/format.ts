import type { Language } from '../i18n';

/**
 * How the storefront writes money, dates and time left. Buyers and the service are in China: every time
 * is Asia/Shanghai whatever the phone's zone. Money arrives from the API as strings with 2 decimals and is
 * only reformatted here (thousands separators, no ".00"), never computed: the API is the one source of
 * truth for money.
 */
export const TIME_ZONE = 'Asia/Shanghai';
const LOCALE: Record<Language, string> = { zh: 'zh-CN', en: 'en-US' };
const MONEY = /^(-?)(\d+)\.(\d{2})$/;

/** "1400.00" → "¥1,400", "1400.50" → "¥1,400.50". */
export function yuan(amount: string | null | undefined): string {
  if (amount === null || amount === undefined) return '—';
  const m = MONEY.exec(amount);
  if (!m) return `¥${amount}`;
  const whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${m[1]}¥${whole}${m[3] === '00' ? '' : `.${m[3]}`}`;
}

export function number(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALE[language]).format(value);
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function format(language: Language, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = language + JSON.stringify(options);
  let f = dateTimeFormats.get(key);
  if (!f) dateTimeFormats.set(key, (f = new Intl.DateTimeFormat(LOCALE[language], { timeZone: TIME_ZONE, ...options })));
  return f;
}

/** An instant as a buyer reads it: "12月9日 20:00" / "Dec 9, 20:00" (the year only when not this year). */
export function dateTime(iso: string, language: Language, now = new Date()): string {
  const at = new Date(iso);
  const parts = partsOf(at, language);
  const sameYear = parts.year === partsOf(now, language).year;
  const time = `${parts.hour}:${parts.minute}`;
  if (language === 'zh') return `${sameYear ? '' : `${parts.year}年`}${Number(parts.month)}月${Number(parts.day)}日 ${time}`;
  return `${parts.monthName} ${Number(parts.day)}${sameYear ? '' : `, ${parts.year}`}, ${time}`;
}

function partsOf(at: Date, language: Language): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of format('en', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at))
    out[p.type] = p.value;
  out.monthName = format(language, { month: 'short' }).format(at);
  return out;
}

/** A calendar day (YYYY-MM-DD, already China's) with its weekday: "12月12日 周六" / "Sat, Dec 12". */
export function day(date: string, language: Language): string {
  // Noon UTC of that day is the same day in Shanghai.
  const at = new Date(`${date}T12:00:00Z`);
  const weekday = format(language, { weekday: 'short' }).format(at);
  const [, m, d] = date.split('-').map(Number);
  return language === 'zh' ? `${m}月${d}日 ${weekday}` : `${weekday}, ${format('en', { month: 'short' }).format(at)} ${d}`;
}

/** Today in China, YYYY-MM-DD. */
export function todayInChina(now = new Date()): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: TIME_ZONE }).format(now);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Time left until an instant, in parts; all zero once it has passed. */
export function timeLeft(iso: string, now: number): { days: number; hours: number; minutes: number; seconds: number; over: boolean } {
  let s = Math.max(0, Math.floor((new Date(iso).getTime() - now) / 1000));
  const over = s === 0;
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  return { days, hours, minutes, seconds: s - minutes * 60, over };
}

export function countdown(iso: string, now: number, language: Language): string {
  const { days, hours, minutes, seconds } = timeLeft(iso, now);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(hours)}:${two(minutes)}:${two(seconds)}`;
  if (days === 0) return clock;
  return language === 'zh' ? `${days}天 ${clock}` : `${days}d ${clock}`;
}
