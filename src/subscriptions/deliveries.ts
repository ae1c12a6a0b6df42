import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE, businessDay } from '../platform/calendar';

/**
 * The delivery calendar of a subscription, pure: delivery dates, ship dates, cutoffs and the ship-by
 * time. Dates are calendar days (YYYY-MM-DD) in Asia/Shanghai.
 */

/** Days in transit from the packing house, by delivery region. Operations edit this list. */
export const REGIONS: Readonly<Record<string, number>> = {
  shanghai: 1,
  hangzhou: 1,
  nanjing: 1,
  suzhou: 1,
  beijing: 2,
  tianjin: 2,
  guangzhou: 2,
  shenzhen: 2,
  chengdu: 2,
  chongqing: 2,
  wuhan: 2,
  xian: 3,
  kunming: 3,
  harbin: 3,
  urumqi: 4,
};

/** Contents and the charge lock this many days before the ship date, at CUTOFF_HOUR China time. */
export const CUTOFF_DAYS_BEFORE_SHIP = 2;
export const CUTOFF_HOUR = 20;
/** A box must leave by the end of its ship date; 24 hours after that, the late-shipping guarantee pays out. */
export const LATE_AFTER_MS = 24 * 3600_000;
/** A subscriber plans at most this many days ahead: a start date, or the end of a pause, is at most this long after today. */
export const MAX_DAYS_AHEAD = 365;

// Calendar-day arithmetic is the same in every zone, so it is done in UTC: a fixed zone costs far less than
// Asia/Shanghai's rules, and the planning job does it for every box. Only cutoffs and ship-by times are
// instants in China time; there are few distinct ship dates, so each is worked out once.
const day = (date: string) => DateTime.fromISO(date, { zone: 'utc' });
export const addDays = (date: string, days: number): string => day(date).plus({ days }).toISODate()!;
export const periodDaysOf = (period: 'weekly' | 'fortnightly'): number => (period === 'weekly' ? 7 : 14);

export function shipDateOf(deliveryDate: string, transitDays: number): string {
  return addDays(deliveryDate, -transitDays);
}

const inChina = (date: string) => DateTime.fromISO(date, { zone: BUSINESS_TIME_ZONE });

/**
 * Ship date → instant, worked out once per ship date. A few dozen ship dates are live at a time; the bound keeps
 * requests naming odd dates from growing the cache without end.
 */
const MAX_CACHED_SHIP_DATES = 1000;
function perShipDate(instantOf: (shipDate: string) => number): (shipDate: string) => Date {
  const cache = new Map<string, number>();
  return (shipDate) => {
    let at = cache.get(shipDate);
    if (at === undefined) {
      if (cache.size >= MAX_CACHED_SHIP_DATES) cache.clear();
      cache.set(shipDate, (at = instantOf(shipDate)));
    }
    return new Date(at);
  };
}

export const cutoffOf: (shipDate: string) => Date = perShipDate((shipDate) =>
  inChina(shipDate).minus({ days: CUTOFF_DAYS_BEFORE_SHIP }).set({ hour: CUTOFF_HOUR }).toMillis(),
);

/** The end of the ship date, China time. */
export const shipByOf: (shipDate: string) => Date = perShipDate((shipDate) => inChina(shipDate).plus({ days: 1 }).startOf('day').toMillis());

/**
 * The first delivery on the delivery weekday, on or after `from`, whose cutoff is after `now`: a delivery
 * whose cutoff has passed can no longer be planned, charged or packed, so it is never anyone's first.
 */
export function firstDeliveryOn(from: string, deliveryWeekday: number, transitDays: number, now: Date): string {
  // A delivery before today is past its cutoff: looking from today at the earliest, the loop below takes a step or two.
  const start = DateTime.max(day(from), day(businessDay(now)));
  let first = start.plus({ days: (deliveryWeekday - start.weekday + 7) % 7 });
  while (cutoffOf(shipDateOf(first.toISODate()!, transitDays)) <= now) first = first.plus({ days: 7 });
  return first.toISODate()!;
}

/** The subscription's first delivery on or after `from`, in its rhythm (every period from its first delivery). */
export function deliveryOnOrAfter(sub: { firstDeliveryDate: string }, periodDays: number, from: string): string {
  return firstInRhythm(sub, periodDays, from).toISODate()!;
}

/** The subscription's delivery dates from its first delivery on, every period, from `from` up to `until` (exclusive). */
export function deliveryDates(sub: { firstDeliveryDate: string }, periodDays: number, from: string, until: string): string[] {
  // Compared as instants, never as strings: a year past 9999 prints as "+010000-01-01", which sorts before every date.
  const end = day(until).toMillis();
  const dates: string[] = [];
  for (let d = firstInRhythm(sub, periodDays, from); d.toMillis() < end; d = d.plus({ days: periodDays })) dates.push(d.toISODate()!);
  return dates;
}

/** The first delivery of the subscription that can still change: on or after today, its cutoff ahead. */
export function nextOpenDelivery(sub: { firstDeliveryDate: string; transitDays: number }, periodDays: number, now: Date): string {
  let date = deliveryOnOrAfter(sub, periodDays, businessDay(now));
  while (cutoffOf(shipDateOf(date, sub.transitDays)) <= now) date = addDays(date, periodDays);
  return date;
}

// Stepping from the first delivery keeps a fortnightly rhythm, whatever `from` is.
function firstInRhythm(sub: { firstDeliveryDate: string }, periodDays: number, from: string): DateTime {
  const first = day(sub.firstDeliveryDate);
  const periods = Math.max(0, Math.ceil(day(from).diff(first, 'days').days / periodDays));
  return first.plus({ days: periods * periodDays });
}
