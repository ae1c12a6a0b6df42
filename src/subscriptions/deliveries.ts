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

// Calendar-day arithmetic is the same in every zone, so it is done in UTC: a fixed zone costs far less than
// Asia/Shanghai's rules, and the planning job does it for every box. Only cutoffs and ship-by times are
// instants in China time; there are few distinct ship dates, so each is worked out once.
const day = (date: string) => DateTime.fromISO(date, { zone: 'utc' });
export const addDays = (date: string, days: number): string => day(date).plus({ days }).toISODate()!;
export const periodDaysOf = (period: 'weekly' | 'fortnightly'): number => (period === 'weekly' ? 7 : 14);

export function shipDateOf(deliveryDate: string, transitDays: number): string {
  return addDays(deliveryDate, -transitDays);
}

const cutoffs = new Map<string, number>();
const shipBys = new Map<string, number>();
const inChina = (date: string) => DateTime.fromISO(date, { zone: BUSINESS_TIME_ZONE });

export function cutoffOf(shipDate: string): Date {
  let at = cutoffs.get(shipDate);
  if (at === undefined) cutoffs.set(shipDate, (at = inChina(shipDate).minus({ days: CUTOFF_DAYS_BEFORE_SHIP }).set({ hour: CUTOFF_HOUR }).toMillis()));
  return new Date(at);
}

/** The end of the ship date, China time. */
export function shipByOf(shipDate: string): Date {
  let at = shipBys.get(shipDate);
  if (at === undefined) shipBys.set(shipDate, (at = inChina(shipDate).plus({ days: 1 }).startOf('day').toMillis()));
  return new Date(at);
}

/**
 * The first delivery on the delivery weekday, on or after `from`, whose cutoff is after `now`: a delivery
 * whose cutoff has passed can no longer be planned, charged or packed, so it is never anyone's first.
 */
export function firstDeliveryOn(from: string, deliveryWeekday: number, transitDays: number, now: Date): string {
  const start = day(from);
  let first = start.plus({ days: (deliveryWeekday - start.weekday + 7) % 7 }).toISODate()!;
  while (cutoffOf(shipDateOf(first, transitDays)) <= now) first = addDays(first, 7);
  return first;
}

/** The subscription's delivery dates from its first delivery on, every period, from `from` up to `until` (exclusive). */
export function deliveryDates(sub: { firstDeliveryDate: string }, periodDays: number, from: string, until: string): string[] {
  const first = day(sub.firstDeliveryDate);
  // Step from the first delivery so fortnightly boxes keep their rhythm, whatever `from` is.
  const skip = Math.max(0, Math.ceil(day(from).diff(first, 'days').days / periodDays));
  const dates: string[] = [];
  for (let d = first.plus({ days: skip * periodDays }); d.toISODate()! < until; d = d.plus({ days: periodDays })) dates.push(d.toISODate()!);
  return dates;
}

/** The first delivery of the subscription that can still change: on or after today, its cutoff ahead. */
export function nextOpenDelivery(sub: { firstDeliveryDate: string; transitDays: number }, periodDays: number, now: Date): string {
  const today = businessDay(now);
  const from = today > sub.firstDeliveryDate ? today : sub.firstDeliveryDate;
  let [date] = deliveryDates(sub, periodDays, from, addDays(from, periodDays));
  while (cutoffOf(shipDateOf(date, sub.transitDays)) <= now) date = addDays(date, periodDays);
  return date;
}
