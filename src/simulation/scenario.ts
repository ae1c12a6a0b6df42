import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A simulation scenario: campaigns (grouped in templates of identical ones) and how their consumers
 * behave. The fields are explained in docs/demand-certainty.md; every rate is a probability per pledge.
 */

const money = z.string().regex(/^\d+\.\d{2}$/, 'an amount in yuan with two decimals, such as "299.00"');
const rate = z.number().min(0).max(1);

/** A pledge written out in full: a hand-computed scenario (the tests) knows exactly what happens. */
const FixedPledge = z.strictObject({
  /** Hours after the campaign opens (before it closes). */
  atHour: z.number().min(0),
  variant: z.string().min(1),
  quantity: z.int().min(1).max(100),
  /** Pays the deposit (otherwise the pledge expires unpaid). */
  paysDeposit: z.boolean(),
  /** Hours after opening at which the consumer cancels (while the window is open); absent: never. */
  cancelsAtHour: z.number().min(0).optional(),
  /** Pays the balance once the campaign succeeds (otherwise the deposit is forfeited). */
  paysBalance: z.boolean(),
});

/** Pledges drawn at random: arrivals over the window, then each pledge's deposit, cancel and balance. */
const RandomDemand = z.strictObject({
  kind: z.literal('random'),
  /** Expected number of pledges over the window (the count is Poisson-distributed around it). */
  pledges: z.number().positive().max(10_000),
  /** How arrivals spread over the window: evenly, most at the start (decaying), or most at the end (a last-days rush). */
  shape: z.enum(['flat', 'front', 'back']),
  /** Units per pledge and their weights, e.g. {"1": 6, "2": 3, "3": 1}. */
  quantities: z.record(z.string().regex(/^[1-9]\d?$/, 'a number of units from 1 to 99'), z.number().positive()),
  depositConversion: rate,
  cancelRate: rate,
  balanceConversion: rate,
});

const FixedDemand = z.strictObject({ kind: z.literal('fixed'), pledges: z.array(FixedPledge).max(1000) });

const CampaignTemplate = z
  .strictObject({
    /** The campaign's title; with count > 1 the campaigns are numbered ("… #2"). */
    name: z.string().min(1).max(60),
    /** Campaigns of one factory name belong to one factory: later ones learn its balance conversion from earlier ones. */
    factory: z.string().min(1).max(60),
    count: z.int().min(1).max(50).default(1),
    /** The day (from the simulation's start) the first campaign opens, and the days between successive ones. */
    startDay: z.int().min(0).max(365).default(0),
    staggerDays: z.int().min(0).max(365).default(0),
    windowDays: z.int().min(1).max(60),
    balanceWindowHours: z.int().min(1).max(720).default(72),
    referencePrice: money,
    depositRate: z.string().regex(/^0\.\d{1,2}$/, 'a rate such as "0.10"'),
    tiers: z
      .array(z.strictObject({ minUnits: z.int().min(1), unitPrice: money }))
      .min(1)
      .max(5),
    maxUnits: z.int().min(1).optional(),
    /** The variants (one option, size) and their weights: the share of pledges choosing each. */
    variants: z.record(z.string().min(1).max(20), z.number().positive()),
    demand: z.discriminatedUnion('kind', [RandomDemand, FixedDemand]),
    /**
     * Last season's sales of the product (units), for the baseline policy; absent: the units this
     * scenario's own parameters make paid on average (see docs/demand-certainty.md).
     */
    lastSeasonUnits: z.int().min(0).optional(),
  })
  .superRefine((c, ctx) => {
    if (Object.keys(c.variants).length === 0) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant' });
    if (c.demand.kind === 'random' && Object.keys(c.demand.quantities).length === 0)
      ctx.addIssue({ code: 'custom', path: ['demand', 'quantities'], message: 'at least one quantity' });
    for (let i = 1; i < c.tiers.length; i++)
      if (c.tiers[i].minUnits <= c.tiers[i - 1].minUnits)
        ctx.addIssue({ code: 'custom', path: ['tiers', i, 'minUnits'], message: 'tiers must ascend by minUnits' });
    if (c.demand.kind === 'fixed')
      c.demand.pledges.forEach((p, i) => {
        const hours = c.windowDays * 24;
        if (p.atHour >= hours) ctx.addIssue({ code: 'custom', path: ['demand', 'pledges', i, 'atHour'], message: `must be before the close (${hours} h)` });
        if (p.cancelsAtHour !== undefined && (p.cancelsAtHour <= p.atHour || p.cancelsAtHour >= hours))
          ctx.addIssue({
            code: 'custom',
            path: ['demand', 'pledges', i, 'cancelsAtHour'],
            message: `must be after the pledge and before the close (${hours} h)`,
          });
        if (!Object.hasOwn(c.variants, p.variant))
          ctx.addIssue({
            code: 'custom',
            path: ['demand', 'pledges', i, 'variant'],
            message: `is not one of the variants (${Object.keys(c.variants).join(', ')})`,
          });
      });
  });

export const Scenario = z.strictObject({
  name: z.string().min(1).max(60),
  description: z.string().max(2000).default(''),
  /** The seed used when the command is given none. */
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  /** The baseline policy: produce last season's units × factor (the chain's padding). */
  baseline: z.strictObject({ factor: z.number().positive().max(10) }).default({ factor: 1.2 }),
  /** How often the job worker runs, in simulated hours (deadlines, expiries, forfeits are acted on at these marks). */
  jobsEveryHours: z.int().min(1).max(24).default(6),
  campaigns: z.array(CampaignTemplate).min(1).max(50),
});

export type Scenario = z.output<typeof Scenario>;
export type CampaignTemplate = z.output<typeof CampaignTemplate>;

export class ScenarioError extends Error {}

/** Reads and checks a scenario file; every problem is named with its place in the file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read the scenario ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`the scenario ${file} is not JSON: ${(error as Error).message}`);
  }
  return parseScenario(json, file);
}

export function parseScenario(json: unknown, source = 'the scenario'): Scenario {
  const parsed = Scenario.safeParse(json);
  if (!parsed.success)
    throw new ScenarioError(
      `${source} is not a valid scenario:\n${parsed.error.issues.map((i) => `  - ${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`).join('\n')}`,
    );
  return parsed.data;
}
