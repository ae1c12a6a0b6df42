import type { z } from 'zod';
import type { Scenario } from '../../src/simulation/scenario';

type ScenarioInput = z.input<typeof Scenario>;

const template = {
  factory: 'Test factory',
  windowDays: 2,
  balanceWindowHours: 24,
  referencePrice: '100.00',
  depositRate: '0.10',
  tiers: [{ minUnits: 3, unitPrice: '90.00' }],
  variants: { M: 1 },
};

/**
 * Two campaigns of one factory, every pledge written out, worked by hand in docs/demand-certainty.md
 * (§ A worked example). The second opens after the first has completed, so its decision uses the
 * balance conversion the factory showed in the first (3 paid of 4 owed).
 */
export const TWO_CAMPAIGNS: ScenarioInput = {
  name: 'two-campaigns',
  description: 'Two campaigns, nine pledges, every fate fixed.',
  baseline: { factor: 1.2 },
  jobsEveryHours: 6,
  campaigns: [
    {
      ...template,
      name: 'A',
      startDay: 0,
      demand: {
        kind: 'fixed',
        pledges: [
          { atHour: 1, variant: 'M', quantity: 2, paysDeposit: true, paysBalance: true },
          { atHour: 5, variant: 'M', quantity: 1, paysDeposit: true, paysBalance: false },
          { atHour: 10, variant: 'M', quantity: 1, paysDeposit: false, paysBalance: false },
          { atHour: 20, variant: 'M', quantity: 1, paysDeposit: true, cancelsAtHour: 30, paysBalance: true },
          { atHour: 30, variant: 'M', quantity: 1, paysDeposit: true, paysBalance: true },
        ],
      },
    },
    {
      ...template,
      name: 'B',
      startDay: 4,
      lastSeasonUnits: 10,
      demand: {
        kind: 'fixed',
        pledges: [
          { atHour: 2, variant: 'M', quantity: 2, paysDeposit: true, paysBalance: true },
          { atHour: 3, variant: 'M', quantity: 2, paysDeposit: true, paysBalance: true },
          { atHour: 4, variant: 'M', quantity: 1, paysDeposit: true, paysBalance: false },
          { atHour: 30, variant: 'M', quantity: 1, paysDeposit: true, paysBalance: true },
        ],
      },
    },
  ],
};

/** A small campaign of random pledges, for determinism. */
export const SMALL_RANDOM: ScenarioInput = {
  name: 'small-random',
  seed: 7,
  campaigns: [
    {
      ...template,
      name: 'Random',
      windowDays: 3,
      tiers: [{ minUnits: 5, unitPrice: '90.00' }],
      variants: { S: 1, M: 2, L: 1 },
      demand: {
        kind: 'random',
        pledges: 14,
        shape: 'back',
        quantities: { '1': 3, '2': 1 },
        depositConversion: 0.8,
        cancelRate: 0.1,
        balanceConversion: 0.85,
      },
    },
  ],
};
