import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../support/process';
import { TWO_CAMPAIGNS } from './scenarios';

/** `npm run cli -- simulate`: a scenario file in, a JSON and a Markdown report out; wrong usage exits 2 and says what was wrong. */
describe('cli simulate', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'c2m-simulate-'));
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };

  test('runs a scenario file and writes its report as JSON and Markdown', async () => {
    const scenario = file('two.json', JSON.stringify(TWO_CAMPAIGNS));
    const out = path.join(dir, 'out');
    const run = await runCli(['simulate', '--scenario', scenario, '--seed', '3', '--out', out], {});
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      `production ÷ units finally paid: 1.125 (goal ≤ 1.05: not met); baseline: 2\nreport: ${out}/two-campaigns-seed3.json, ${out}/two-campaigns-seed3.md\n`,
    );
    const report = JSON.parse(readFileSync(path.join(out, 'two-campaigns-seed3.json'), 'utf8'));
    expect(report).toMatchObject({ scenario: 'two-campaigns', seed: 3, overall: { unitsFinallyPaid: 8, producedUnits: 9, ratio: 1.125 } });
    expect(readFileSync(path.join(out, 'two-campaigns-seed3.md'), 'utf8')).toMatch(/^# Demand certainty: scenario `two-campaigns`, seed 3\n/);
  });

  test('a bad scenario file, a missing one or a bad seed: exit 2 with what was wrong, then the usage', async () => {
    const invalid = file(
      'invalid.json',
      JSON.stringify({ ...TWO_CAMPAIGNS, jobsEveryHours: 0, campaigns: [{ ...TWO_CAMPAIGNS.campaigns[0], depositRate: 'ten' }] }),
    );
    const bad = await runCli(['simulate', '--scenario', invalid], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      new RegExp(
        `^${invalid} is not a valid scenario:\\n  - jobsEveryHours: Too small: expected number to be >=1\\n  - campaigns\\.0\\.depositRate: a rate such as "0\\.10"\\n\\nUsage: npm run cli`,
      ),
    );
    expect(bad.stdout).toBe('');

    const notJson = await runCli(['simulate', '--scenario', file('broken.json', '{"name": ')], {});
    expect(notJson).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^the scenario ${dir}/broken\\.json is not JSON: `)) });

    const missing = await runCli(['simulate', '--scenario', path.join(dir, 'nowhere.json')], {});
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^cannot read the scenario ${dir}/nowhere\\.json: ENOENT\\n`)) });

    const seed = await runCli(['simulate', '--scenario', file('seedless.json', JSON.stringify(TWO_CAMPAIGNS)), '--seed', 'lucky'], {});
    expect(seed).toMatchObject({ code: 2, stderr: expect.stringMatching(/^--seed: must be a whole number from 0 to 4294967295 \(got lucky\)\n\nUsage:/) });
  });
});
