import type { UncoveredReason } from './box-plan';
import { type Candidate, MAX_SHARE, type Period } from './candidates';

// The box being planned, over the candidates in one ethylene mode (the ladder): packing a unit, the share
// and value rules the walks rank by, and placing portions on the days of a fruit's window.

/** The candidates of one box as its walks read them, in one ethylene mode. */
export interface Ladder {
  candidates: Candidate[];
  period: Period;
  /** Producers and sensitive fruit may share the box, each counted on its mixed window. */
  mixed: boolean;
  /** Per candidate: the first and last day of the period it counts on, and the day it is over (may be after the period). */
  first: Int32Array;
  last: Int32Array;
  until: Int32Array;
}

/** A box being planned: units per candidate, who eats what on which day, what it costs and the days left short. */
export interface Box {
  units: Int32Array;
  /** Portions of candidate i eaten on day d, at [i × days + d], for the need and as extras together. */
  eaten: Int32Array;
  /** Portions eaten per day, need and extras. */
  dayPortions: Int32Array;
  /** Portions per candidate that no day can eat in time (only where covering a day needed the unit). */
  uneaten: Int32Array;
  uneatenPortions: number;
  shortfalls: { day: number; missingPortions: number; reason: UncoveredReason }[];
  missingPortions: number;
  costFen: number;
  /** Distinct fruit packed. */
  kinds: number;
  /** Per candidate: packed fruit it reacts with (by ethylene); in a box that keeps them apart, it may not join while any. */
  reactingPacked: Int32Array;
}

export function ladderOf(candidates: Candidate[], period: Period, mixed: boolean): Ladder {
  const ladder: Ladder = {
    candidates,
    period,
    mixed,
    first: new Int32Array(candidates.length),
    last: new Int32Array(candidates.length),
    until: new Int32Array(candidates.length),
  };
  candidates.forEach((c, index) => {
    const window = mixed ? c.mixedWindow : c.apartWindow;
    ladder.first[index] = window.from;
    ladder.last[index] = Math.min(window.until, period.days - 1);
    ladder.until[index] = window.until;
  });
  return ladder;
}

/** In a box that keeps them apart, a fruit may not join a fruit it reacts with. */
export const shutOut = (ladder: Ladder, box: Box, index: number) => !ladder.mixed && box.reactingPacked[index] > 0;

/** Packs one more unit of candidate `index` (its portions are placed by the caller). */
export function addUnit(ladder: Ladder, box: Box, index: number): void {
  if (box.units[index] === 0) {
    box.kinds += 1;
    for (const other of ladder.candidates[index].reactsWith) box.reactingPacked[other] += 1;
  }
  box.units[index] += 1;
  box.costFen += ladder.candidates[index].unitFen;
}

/** Whether one more unit keeps a fruit within MAX_SHARE of the period's need (one unit always does). */
export function withinShare(ladder: Ladder, index: number, units: Int32Array): boolean {
  return units[index] === 0 || (units[index] + 1) * ladder.candidates[index].portionsPerUnit <= MAX_SHARE * ladder.period.periodNeed;
}

/**
 * What one more unit of a candidate is worth in the box: its portion value ÷ (1 + recent penalty + the
 * portions of it the box would hold ÷ a fair share of the period's portions, the need ÷ the variety target).
 */
export function upgradeValue(ladder: Ladder, index: number, units: Int32Array): number {
  const c = ladder.candidates[index];
  return c.portionValue / (1 + c.recentPenalty + ((units[index] + 1) * c.portionsPerUnit) / ladder.period.fairShare);
}

export function emptyBox(count: number, days: number): Box {
  return {
    units: new Int32Array(count),
    eaten: new Int32Array(count * days),
    dayPortions: new Int32Array(days),
    uneaten: new Int32Array(count),
    uneatenPortions: 0,
    shortfalls: [],
    missingPortions: 0,
    costFen: 0,
    kinds: 0,
    reactingPacked: new Int32Array(count),
  };
}

/** The days still short, and by how much, once everything is placed. */
export function countShortfalls(period: Period, box: Box): void {
  if (box.shortfalls.length === 0) return;
  box.missingPortions = 0;
  box.shortfalls = box.shortfalls.flatMap((shortfall) => {
    const missingPortions = period.dailyNeed - Math.min(period.dailyNeed, box.dayPortions[shortfall.day]);
    box.missingPortions += missingPortions;
    return missingPortions > 0 ? [{ ...shortfall, missingPortions }] : [];
  });
}

/**
 * Places up to `portions` more portions of candidate `index` inside its window, along chains: onto a day
 * with room, or onto a full day whose portion of another fruit moves to another day of that fruit's window,
 * and so on (an augmenting path), so a portion is placed whenever any arrangement could eat it. Days only
 * gain portions. Returns how many were placed.
 */
export function shiftToRoom(ladder: Ladder, box: Box, index: number, portions: number): number {
  const { first, last, period } = ladder;
  const days = period.days;
  const reachedFrom = new Int32Array(days);
  const movedFrom = new Int32Array(first.length);
  const others = [];
  for (let j = 0; j < box.units.length; j++) if (box.units[j] > 0 && j !== index) others.push(j);
  let placed = 0;
  while (placed < portions) {
    reachedFrom.fill(-1);
    movedFrom.fill(-1);
    const queue = [index];
    let roomDay = -1;
    for (let q = 0; q < queue.length && roomDay < 0; q++) {
      const i = queue[q];
      for (let day = first[i]; day <= last[i] && roomDay < 0; day++) {
        if (reachedFrom[day] >= 0) continue;
        reachedFrom[day] = i;
        if (box.dayPortions[day] < period.dayLimit) roomDay = day;
        else {
          for (const j of others) {
            if (movedFrom[j] < 0 && box.eaten[j * days + day] > 0) {
              movedFrom[j] = day;
              queue.push(j);
            }
          }
        }
      }
    }
    if (roomDay < 0) break;
    // As many portions as the chain allows: the room on its last day, and what each fruit on it can give up.
    let amount = Math.min(portions - placed, period.dayLimit - box.dayPortions[roomDay]);
    for (let i = reachedFrom[roomDay]; i !== index; i = reachedFrom[movedFrom[i]]) amount = Math.min(amount, box.eaten[i * days + movedFrom[i]]);
    // Back along the chain: each fruit gains the day it was reached on and gives up the day it moved from.
    box.dayPortions[roomDay] += amount;
    for (let day = roomDay; ;) {
      const i = reachedFrom[day];
      box.eaten[i * days + day] += amount;
      if (i === index) break;
      day = movedFrom[i];
      box.eaten[i * days + day] -= amount;
    }
    placed += amount;
  }
  return placed;
}
