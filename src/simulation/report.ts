import { unitsRatio } from '../forecasts';
import type { CampaignObservation, ForecastPoint } from './run';
import type { Scenario } from './scenario';

/**
 * The demand-certainty report, from what a run observed (pure): per campaign and overall, the units made
 * by following our batches against the units finally paid, the forecast's error at each point before
 * the close, and the same ratio for the baseline policy. Nothing in it depends on the wall clock or on
 * generated ids, so one seed gives the same report byte for byte.
 */

/** The goal of issue #19: what is made is what was paid for, within 5%. */
export const GOAL_RATIO = 1.05;

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : null);

export interface CampaignReport {
  title: string;
  factory: string;
  status: string;
  windowDays: number;
  pledges: CampaignObservation['pledges'];
  /** Units whose balance was paid. */
  unitsFinallyPaid: number;
  /** Our batch at the decision: deposit-backed (firm) and expected units. */
  atDecision: ForecastPoint;
  /** What the factory committed to from that batch (its expected units): what it makes. */
  producedUnits: number;
  ratio: number | null;
  baselineUnits: number;
  baselineRatio: number | null;
  /** The forecast at each simulated midnight before the close: what the factory would make from it, and its error. */
  checkpoints: ({ daysBeforeClose: number; ratio: number | null; errorPercent: number | null } & ForecastPoint)[];
}

export interface ErrorAtPoint {
  daysBeforeClose: number;
  /** Campaigns with units paid that had a batch at this point. */
  campaigns: number;
  /** Mean absolute percentage error of expected units against units finally paid. */
  mapePercent: number | null;
  /** (Σ expected − Σ paid) / Σ paid. */
  biasPercent: number | null;
}

export interface SimulationReport {
  scenario: string;
  description: string;
  seed: number;
  policy: { production: string; baseline: string; baselineFactor: number };
  goal: { maxRatio: number; ratio: number | null; met: boolean; baselineRatio: number | null };
  overall: {
    campaigns: number;
    completed: number;
    failed: number;
    pledges: number;
    unitsFinallyPaid: number;
    producedUnits: number;
    ratio: number | null;
    firmUnitsAtDecision: number;
    firmRatio: number | null;
    baselineUnits: number;
    baselineRatio: number | null;
    /** Error by days before the close; 0 is the batch published at the decision. */
    forecastError: ErrorAtPoint[];
  };
  campaigns: CampaignReport[];
}

export function buildReport(scenario: Scenario, seed: number, observed: readonly CampaignObservation[]): SimulationReport {
  const factor = scenario.baseline.factor;
  const campaigns = observed.map((c): CampaignReport => {
    const baselineUnits = Math.round(c.lastSeasonUnits * factor);
    return {
      title: c.title,
      factory: c.factory,
      status: c.status,
      windowDays: c.windowDays,
      pledges: c.pledges,
      unitsFinallyPaid: c.paidUnits,
      atDecision: c.atDecision,
      producedUnits: c.committedUnits,
      ratio: unitsRatio(c.committedUnits, c.paidUnits),
      baselineUnits,
      baselineRatio: unitsRatio(baselineUnits, c.paidUnits),
      checkpoints: c.checkpoints.map((p) => ({
        ...p,
        ratio: unitsRatio(p.expectedUnits, c.paidUnits),
        errorPercent: percent(p.expectedUnits - c.paidUnits, c.paidUnits),
      })),
    };
  });
  const total = (f: (c: CampaignReport) => number) => campaigns.reduce((sum, c) => sum + f(c), 0);
  const paid = total((c) => c.unitsFinallyPaid);
  const produced = total((c) => c.producedUnits);
  const baseline = total((c) => c.baselineUnits);
  const overallRatio = unitsRatio(produced, paid);
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed,
    policy: {
      production:
        "The factory makes what it commits to once the campaign is decided: the expected units of our batch published at the decision (units paid so far + units owing their balance × the factory's balance conversion).",
      baseline: `Last season's sales × ${factor}: the old chain's guess, padded.`,
      baselineFactor: factor,
    },
    goal: { maxRatio: GOAL_RATIO, ratio: overallRatio, met: overallRatio !== null && overallRatio <= GOAL_RATIO, baselineRatio: unitsRatio(baseline, paid) },
    overall: {
      campaigns: campaigns.length,
      completed: campaigns.filter((c) => c.status === 'completed').length,
      failed: campaigns.filter((c) => c.status === 'failed').length,
      pledges: total((c) => c.pledges.placed),
      unitsFinallyPaid: paid,
      producedUnits: produced,
      ratio: overallRatio,
      firmUnitsAtDecision: total((c) => (c.status === 'failed' ? 0 : c.atDecision.firmUnits)),
      firmRatio: unitsRatio(
        total((c) => (c.status === 'failed' ? 0 : c.atDecision.firmUnits)),
        paid,
      ),
      baselineUnits: baseline,
      baselineRatio: unitsRatio(baseline, paid),
      forecastError: forecastError(campaigns),
    },
    campaigns,
  };
}

function forecastError(campaigns: readonly CampaignReport[]): ErrorAtPoint[] {
  const byDays = new Map<number, { expected: number; paid: number }[]>();
  for (const c of campaigns.filter((x) => x.unitsFinallyPaid > 0))
    for (const p of [...c.checkpoints, { daysBeforeClose: 0, ...c.atDecision }])
      byDays.set(p.daysBeforeClose, [...(byDays.get(p.daysBeforeClose) ?? []), { expected: p.expectedUnits, paid: c.unitsFinallyPaid }]);
  return [...byDays.entries()]
    .sort(([a], [b]) => b - a)
    .map(([daysBeforeClose, points]) => {
      const expected = points.reduce((sum, p) => sum + p.expected, 0);
      const paid = points.reduce((sum, p) => sum + p.paid, 0);
      return {
        daysBeforeClose,
        campaigns: points.length,
        mapePercent: Math.round((1000 * points.reduce((sum, p) => sum + Math.abs(p.expected - p.paid) / p.paid, 0)) / points.length) / 10,
        biasPercent: percent(expected - paid, paid),
      };
    });
}

const show = (value: number | null, suffix = '') => (value === null ? '—' : `${value}${suffix}`);

/** The report as Markdown (docs/demand-certainty/). */
export function reportMarkdown(report: SimulationReport): string {
  const { overall, goal } = report;
  const lines = [
    `# Demand certainty: scenario \`${report.scenario}\`, seed ${report.seed}`,
    '',
    report.description,
    '',
    `**Goal: production ÷ units finally paid ≤ ${goal.maxRatio}. Result: ${show(goal.ratio)} (${goal.met ? 'met' : 'not met'}); baseline (last season × ${report.policy.baselineFactor}): ${show(goal.baselineRatio)}.**`,
    '',
    `- Production: ${report.policy.production}`,
    `- Baseline: ${report.policy.baseline}`,
    '',
    '## Overall',
    '',
    '| campaigns | completed | failed | pledges | units finally paid | produced (our batches) | ratio | firm units at decision | ratio | baseline units | baseline ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${overall.campaigns} | ${overall.completed} | ${overall.failed} | ${overall.pledges} | ${overall.unitsFinallyPaid} | ${overall.producedUnits} | ${show(overall.ratio)} | ${overall.firmUnitsAtDecision} | ${show(overall.firmRatio)} | ${overall.baselineUnits} | ${show(overall.baselineRatio)} |`,
    '',
    '## Forecast error by days before the close',
    '',
    'Expected units of each campaign in the batch published at each simulated midnight, against the units finally paid (campaigns that completed). 0 is the batch published at the decision.',
    '',
    '| days before close | campaigns | MAPE | bias |',
    '|---:|---:|---:|---:|',
    ...overall.forecastError.map((e) => `| ${e.daysBeforeClose} | ${e.campaigns} | ${show(e.mapePercent, '%')} | ${show(e.biasPercent, '%')} |`),
    '',
    '## Campaigns',
    '',
    '| campaign | factory | status | pledges (placed / deposit paid / cancelled / forfeited) | units finally paid | firm at decision | produced | ratio | baseline | baseline ratio |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...report.campaigns.map(
      (c) =>
        `| ${c.title} | ${c.factory} | ${c.status} | ${c.pledges.placed} / ${c.pledges.depositsPaid} / ${c.pledges.cancelled} / ${c.pledges.forfeited} | ${c.unitsFinallyPaid} | ${c.atDecision.firmUnits} | ${c.producedUnits} | ${show(c.ratio)} | ${c.baselineUnits} | ${show(c.baselineRatio)} |`,
    ),
    '',
    '## Expected units by days before the close',
    '',
    'What a factory would have made had it produced from the batch of that day (the ratio to the units finally paid in brackets).',
    '',
    ...checkpointTable(report.campaigns),
    '',
  ];
  return lines.join('\n');
}

function checkpointTable(campaigns: readonly CampaignReport[]): string[] {
  const days = [...new Set(campaigns.flatMap((c) => c.checkpoints.map((p) => p.daysBeforeClose)))].sort((a, b) => b - a);
  return [
    `| campaign | ${days.map((d) => `${d}`).join(' | ')} | decision |`,
    `|---|${days.map(() => '---:').join('|')}|---:|`,
    ...campaigns.map((c) => {
      const cell = (p: ForecastPoint | undefined, r: number | null) => (p ? `${p.expectedUnits} (${show(r)})` : '');
      const at = (d: number) => c.checkpoints.find((p) => p.daysBeforeClose === d);
      return `| ${c.title} | ${days.map((d) => cell(at(d), at(d)?.ratio ?? null)).join(' | ')} | ${cell(c.atDecision, unitsRatio(c.atDecision.expectedUnits, c.unitsFinallyPaid))} |`;
    }),
  ];
}
