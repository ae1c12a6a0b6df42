import fc from 'fast-check';
import { closeStep, decide, isBeforeDeadline, isTakingPledges, pledgeWindow } from '../../src/campaigns/campaign';
import type { CampaignRow, CampaignStatus } from '../../src/campaigns/campaign.entity';

/** The campaign's rules as a domain object: when it takes pledges, what its close job does, and when it succeeds. */
const HOUR = 3600_000;
const opensAt = new Date('2026-12-10T02:00:00Z');
const closesAt = new Date('2026-12-20T14:00:00Z');
const at = (offsetHours: number, from = closesAt) => new Date(from.getTime() + offsetHours * HOUR);
const window = (status: CampaignStatus) => ({ status, opensAt, closesAt });
// ¥900 from 500 units, ¥700 from 1,000 units.
const terms = (variantMinUnits: number | null = null) =>
  ({
    tiers: [
      { minUnits: 500, unitPriceFen: '90000' },
      { minUnits: 1000, unitPriceFen: '70000' },
    ],
    variantMinUnits,
    balanceWindowHours: 48,
  }) satisfies Pick<CampaignRow, 'tiers' | 'variantMinUnits' | 'balanceWindowHours'>;

describe('the pledge window', () => {
  test('opens at opensAt, shuts at closesAt, and only while published and undecided', () => {
    expect(pledgeWindow(window('scheduled'), at(-1, opensAt))).toEqual({ open: false, reason: 'not_yet_open' });
    expect(pledgeWindow(window('scheduled'), opensAt)).toEqual({ open: true });
    expect(pledgeWindow(window('open'), at(-0.001))).toEqual({ open: true });
    expect(pledgeWindow(window('open'), closesAt)).toEqual({ open: false, reason: 'closed' });
    expect(pledgeWindow(window('draft'), at(-24))).toEqual({ open: false, reason: 'not_published' });
    for (const status of ['succeeded', 'failed', 'cancelled', 'completed'] as const)
      expect(pledgeWindow(window(status), at(-24))).toEqual({ open: false, reason: 'decided' });
  });

  test('before the deadline a scheduled campaign already counts down; after it nothing does', () => {
    expect(isBeforeDeadline(window('scheduled'), at(-1, opensAt))).toBe(true);
    expect(isTakingPledges(window('scheduled'), at(-1, opensAt))).toBe(false);
    expect(isBeforeDeadline(window('open'), closesAt)).toBe(false);
    expect(isBeforeDeadline(window('cancelled'), at(-24))).toBe(false);
  });
});

describe('the close job', () => {
  test('does nothing once decided or cancelled, however often it runs', () => {
    for (const status of ['succeeded', 'failed', 'cancelled', 'completed'] as const)
      expect(closeStep(window(status), at(1), undefined)).toEqual({ action: 'nothing' });
  });

  test('run early (the deadline moved), it waits for the deadline', () => {
    expect(closeStep(window('open'), at(-2), undefined)).toEqual({ action: 'wait', until: closesAt });
  });

  test('waits one second past the last deposit still in flight, then decides', () => {
    const lastExpiry = at(0.25);
    expect(closeStep(window('open'), closesAt, lastExpiry)).toEqual({ action: 'wait', until: new Date(lastExpiry.getTime() + 1000) });
    expect(closeStep(window('open'), at(0.5), lastExpiry)).toEqual({ action: 'decide' });
    expect(closeStep(window('open'), closesAt, undefined)).toEqual({ action: 'decide' });
  });
});

describe('the decision', () => {
  const decidedAt = at(1);
  const paid = (entries: Record<string, number>) => new Map(Object.entries(entries));

  test('below the first tier it fails, with no price and nothing due', () => {
    expect(decide(terms(), paid({ 'colour=black': 300, 'colour=navy': 199 }), decidedAt)).toEqual({
      status: 'failed',
      finalUnitPrice: null,
      droppedVariants: [],
      balanceDueAt: null,
    });
  });

  test('it succeeds at the highest tier reached, the balance due after the window', () => {
    const at500 = decide(terms(), paid({ 'colour=black': 300, 'colour=navy': 200 }), decidedAt);
    expect({ ...at500, finalUnitPrice: at500.finalUnitPrice?.toFixed(2) }).toEqual({
      status: 'succeeded',
      finalUnitPrice: '900.00',
      droppedVariants: [],
      balanceDueAt: at(49),
    });
    expect(decide(terms(), paid({ 'colour=black': 1000 }), decidedAt).finalUnitPrice?.toFixed(2)).toBe('700.00');
  });

  test('variants below their minimum are dropped first, and their units do not count toward a tier', () => {
    // 980 + 30 = 1,010 would reach the ¥700 tier; without the dropped 30, 980 reach ¥900.
    const decision = decide(terms(50), paid({ 'colour=black': 980, 'colour=pink': 30 }), decidedAt);
    expect(decision).toMatchObject({ status: 'succeeded', droppedVariants: ['colour=pink'] });
    expect(decision.finalUnitPrice?.toFixed(2)).toBe('900.00');
    // Dropping can make a campaign fail that would have succeeded.
    expect(decide(terms(50), paid({ 'colour=black': 480, 'colour=pink': 40 }), decidedAt)).toMatchObject({
      status: 'failed',
      droppedVariants: ['colour=pink'],
    });
  });

  test('property: success exactly when the kept units reach the first tier, at the highest tier they reach', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a=1', 'a=2', 'a=3', 'a=4'), fc.integer({ min: 1, max: 800 })),
        fc.option(fc.integer({ min: 1, max: 300 }), { nil: null }),
        (units, variantMin) => {
          const decision = decide(terms(variantMin), paid(units), decidedAt);
          const kept = Object.entries(units).filter(([, n]) => variantMin === null || n >= variantMin);
          const total = kept.reduce((sum, [, n]) => sum + n, 0);
          expect(decision.droppedVariants.sort()).toEqual(
            Object.keys(units)
              .filter((k) => !kept.some(([key]) => key === k))
              .sort(),
          );
          expect(decision.status).toBe(total >= 500 ? 'succeeded' : 'failed');
          expect(decision.finalUnitPrice?.toFixed(2) ?? null).toBe(total >= 1000 ? '700.00' : total >= 500 ? '900.00' : null);
        },
      ),
    );
  });
});
