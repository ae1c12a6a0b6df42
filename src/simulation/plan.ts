import { Random } from './random';
import type { CampaignTemplate, Scenario } from './scenario';

/**
 * What will happen, drawn up front from the scenario and the seed (pure): each campaign's window and each
 * pledge's fate. The run then makes it happen through the services; since nothing here depends on what
 * the services answer, one seed always gives the same plan.
 */

export interface PlannedPledge {
  /** Minutes after the campaign opens. */
  atMinute: number;
  variant: string;
  quantity: number;
  paysDeposit: boolean;
  /** Minutes after opening at which the consumer cancels; undefined: never. */
  cancelsAtMinute: number | undefined;
  paysBalance: boolean;
  /** When the balance is paid, as a share of the balance window (after the decision). */
  balanceAt: number;
}

export interface PlannedCampaign {
  title: string;
  factory: string;
  template: CampaignTemplate;
  /** Days from the simulation's start. */
  opensOnDay: number;
  closesOnDay: number;
  pledges: PlannedPledge[];
  /** Last season's units, for the baseline policy. */
  lastSeasonUnits: number;
}

const HOUR = 60;
/** Pledges arrive no later than this before the close, so a deposit paid a few minutes later is still in the window. */
const LAST_ARRIVAL_BEFORE_CLOSE = HOUR;
/** Consumers who pay their deposit do so this many minutes after pledging (well within the deposit's time to live). */
export const DEPOSIT_PAID_AFTER_MINUTES = 2;

export function planScenario(scenario: Scenario, seed: number): PlannedCampaign[] {
  const random = new Random(seed);
  return scenario.campaigns.flatMap((template) =>
    Array.from({ length: template.count }, (_, i) => {
      const opensOnDay = template.startDay + i * template.staggerDays;
      const pledges = template.demand.kind === 'fixed' ? fixedPledges(template.demand.pledges) : randomPledges(template, random);
      return {
        title: template.count > 1 ? `${template.name} #${i + 1}` : template.name,
        factory: template.factory,
        template,
        opensOnDay,
        closesOnDay: opensOnDay + template.windowDays,
        pledges,
        lastSeasonUnits: template.lastSeasonUnits ?? expectedPaidUnits(template),
      };
    }),
  );
}

function fixedPledges(pledges: Extract<CampaignTemplate['demand'], { kind: 'fixed' }>['pledges']): PlannedPledge[] {
  return pledges
    .map((p) => ({
      atMinute: Math.round(p.atHour * HOUR),
      variant: p.variant,
      quantity: p.quantity,
      paysDeposit: p.paysDeposit,
      cancelsAtMinute: p.cancelsAtHour === undefined ? undefined : Math.round(p.cancelsAtHour * HOUR),
      paysBalance: p.paysBalance,
      balanceAt: 0,
    }))
    .sort((a, b) => a.atMinute - b.atMinute);
}

/** Where in the window (0–1) an arrival falls, from a uniform draw: the inverse of each shape's distribution. */
const SHAPES = {
  flat: (u: number) => u,
  // Density 2(1 − x): most pledges early, tailing off.
  front: (u: number) => 1 - Math.sqrt(1 - u),
  // Density 2x: a rush towards the deadline.
  back: (u: number) => Math.sqrt(u),
};

function randomPledges(template: CampaignTemplate, random: Random): PlannedPledge[] {
  const demand = template.demand as Extract<CampaignTemplate['demand'], { kind: 'random' }>;
  const window = template.windowDays * 24 * HOUR;
  const count = random.poisson(demand.pledges);
  const pledges = Array.from({ length: count }, (): PlannedPledge => {
    // Every draw is taken whatever the branch, so one pledge's fate never shifts the next one's draws.
    const at = Math.floor(SHAPES[demand.shape](random.next()) * (window - LAST_ARRIVAL_BEFORE_CLOSE));
    const variant = random.pick(template.variants);
    const quantity = Number(random.pick(demand.quantities));
    const paysDeposit = random.next() < demand.depositConversion;
    const cancels = random.next() < demand.cancelRate;
    const cancelAt = random.next();
    const paysBalance = random.next() < demand.balanceConversion;
    const balanceAt = random.next();
    // A cancel falls between the deposit and half an hour before the close.
    const from = at + DEPOSIT_PAID_AFTER_MINUTES + 1;
    const until = window - 30;
    return {
      atMinute: at,
      variant,
      quantity,
      paysDeposit,
      cancelsAtMinute: paysDeposit && cancels && until > from ? from + Math.floor(cancelAt * (until - from)) : undefined,
      paysBalance,
      balanceAt,
    };
  });
  return pledges.sort((a, b) => a.atMinute - b.atMinute);
}

/** The units a template's consumers finally pay for on average (or exactly, for written-out pledges), the campaign succeeding. */
export function expectedPaidUnits(template: CampaignTemplate): number {
  const demand = template.demand;
  if (demand.kind === 'fixed')
    return demand.pledges.filter((p) => p.paysDeposit && p.cancelsAtHour === undefined && p.paysBalance).reduce((sum, p) => sum + p.quantity, 0);
  const weights = Object.values(demand.quantities).reduce((sum, w) => sum + w, 0);
  const meanQuantity = Object.entries(demand.quantities).reduce((sum, [units, w]) => sum + Number(units) * w, 0) / weights;
  return Math.round(demand.pledges * meanQuantity * demand.depositConversion * (1 - demand.cancelRate) * demand.balanceConversion);
}
