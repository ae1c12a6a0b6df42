import { buildReport, reportMarkdown } from '../../src/simulation/report';
import { simulate } from '../../src/simulation/run';
import { parseScenario } from '../../src/simulation/scenario';
import { SMALL_RANDOM, TWO_CAMPAIGNS } from './scenarios';

/** The simulation runs on an embedded database of its own (whatever TEST_DATABASE_URL says): the services are the real ones. */
describe('demand-certainty simulation', () => {
  test('a hand-computed scenario: units finally paid, what our batches made the factory produce, their ratio, the forecast error, the baseline', async () => {
    const scenario = parseScenario(TWO_CAMPAIGNS);
    const report = buildReport(scenario, scenario.seed, await simulate(scenario, scenario.seed));
    const [a, b] = report.campaigns;

    // A: 2 + 1 units paid their balance; 1 forfeited, 1 cancelled, 1 never paid its deposit.
    expect(a).toMatchObject({
      status: 'completed',
      pledges: { placed: 5, refused: 0, depositsPaid: 4, cancelled: 1, expired: 1, forfeited: 1, paid: 2, refunded: 0 },
      unitsFinallyPaid: 3,
      // At the decision 4 units owe their balance; no history yet, so 90% are expected: round(3.6) = 4.
      atDecision: { firmUnits: 4, expectedUnits: 4, lowUnits: 2, highUnits: 4 },
      producedUnits: 4,
      ratio: 1.333,
      // Last season defaults to the units the scenario's pledges pay: 3 × 1.2 = 3.6 → 4.
      baselineUnits: 4,
      baselineRatio: 1.333,
    });
    // A day in: 4 units paid, at 4 units a day one more day brings 4 more (±50%).
    expect(a.checkpoints).toEqual([{ daysBeforeClose: 1, firmUnits: 4, expectedUnits: 8, lowUnits: 6, highUnits: 10, ratio: 2.667, errorPercent: 166.7 }]);

    // B: decided after A completed, so 3 paid of 4 owed (75%) is the factory's conversion: 6 × 0.75 = 4.5 → 5.
    expect(b).toMatchObject({
      status: 'completed',
      pledges: { placed: 4, depositsPaid: 4, cancelled: 0, expired: 0, forfeited: 1, paid: 3 },
      unitsFinallyPaid: 5,
      atDecision: { firmUnits: 6, expectedUnits: 5 },
      producedUnits: 5,
      ratio: 1,
      baselineUnits: 12,
      baselineRatio: 2.4,
    });
    expect(b.checkpoints).toEqual([{ daysBeforeClose: 1, firmUnits: 5, expectedUnits: 10, lowUnits: 7, highUnits: 13, ratio: 2, errorPercent: 100 }]);

    expect(report.overall).toMatchObject({
      campaigns: 2,
      completed: 2,
      failed: 0,
      pledges: 9,
      unitsFinallyPaid: 8,
      producedUnits: 9,
      ratio: 1.125,
      firmUnitsAtDecision: 10,
      firmRatio: 1.25,
      baselineUnits: 16,
      baselineRatio: 2,
      forecastError: [
        { daysBeforeClose: 1, campaigns: 2, mapePercent: 133.3, biasPercent: 125 },
        { daysBeforeClose: 0, campaigns: 2, mapePercent: 16.7, biasPercent: 12.5 },
      ],
    });
    expect(report.goal).toEqual({ maxRatio: 1.05, ratio: 1.125, met: false, baselineRatio: 2 });
    expect(reportMarkdown(report)).toContain('**Goal: production ÷ units finally paid ≤ 1.05. Result: 1.125 (not met); baseline (last season × 1.2): 2.**');
  });

  test('deterministic for a seed: the same seed gives the same report byte for byte, another seed another one', async () => {
    const scenario = parseScenario(SMALL_RANDOM);
    const run = async (seed: number) => JSON.stringify(buildReport(scenario, seed, await simulate(scenario, seed)));
    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
    expect(JSON.parse(first).overall.pledges).toBeGreaterThan(0);
  });

  test('a scenario is checked field by field', () => {
    expect(() => parseScenario({ ...TWO_CAMPAIGNS, campaigns: [{ ...TWO_CAMPAIGNS.campaigns[0], windowDays: 0 }] })).toThrow(
      'the scenario is not a valid scenario:\n  - campaigns.0.windowDays: Too small: expected number to be >=1',
    );
    const [a] = TWO_CAMPAIGNS.campaigns;
    const demand = a.demand as { kind: 'fixed'; pledges: object[] };
    expect(() =>
      parseScenario({ ...TWO_CAMPAIGNS, campaigns: [{ ...a, demand: { kind: 'fixed', pledges: [{ ...demand.pledges[0], variant: 'XXL', atHour: 48 }] } }] }),
    ).toThrow(
      /campaigns\.0\.demand\.pledges\.0\.atHour: must be before the close \(48 h\)\n {2}- campaigns\.0\.demand\.pledges\.0\.variant: is not one of the variants \(M\)/,
    );
  });
});
