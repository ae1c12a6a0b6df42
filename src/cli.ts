import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { email, password } from './accounts';
import { boot } from './bootstrap';
import { seedDemoData } from './demo/seed';
import { readConfig } from './app';
import { ConfigError } from './platform/config';
import { createLogger } from './platform/logger';
import { PROJECT_ROOT } from './platform/paths';
import { buildReport, reportMarkdown } from './simulation/report';
import { simulate } from './simulation/run';
import { ScenarioError, loadScenario } from './simulation/scenario';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  seed                                      seed the demo data (once; a seeded database is left alone)
  create-operator --email E --password P    create an operator account
  run-jobs [--timeout-seconds N]            run every job that is due now, then exit (default timeout 60)
  reconcile                                 check every ledger invariant; exit 1 if one fails
  simulate [--scenario FILE] [--seed N] [--out DIR]
                                            run a demand-certainty simulation on a fresh embedded database of its
                                            own (default simulation/default.json, its own seed, out
                                            docs/demand-certainty); writes <scenario>-seed<N>.json and .md
`;

const COMMANDS = ['migrate', 'seed', 'create-operator', 'run-jobs', 'reconcile', 'simulate'];

/** Wrong usage: what was wrong, then the usage. */
function usageError(problem: string): number {
  process.stderr.write(`${problem}\n\n${USAGE}`);
  return 2;
}

/** Operations from the command line. Exit code 0 = done, 1 = failed, 2 = wrong usage. */
async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        'timeout-seconds': { type: 'string' },
        scenario: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    // An unknown or malformed option (node:util says which).
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!command) return usageError('no command given');
  if (!COMMANDS.includes(command)) return usageError(`unknown command: ${command}`);
  // The simulation runs on a database of its own: it needs none of the service's configuration.
  if (command === 'simulate') return simulateCommand(values);
  const timeout = Number(values['timeout-seconds'] ?? 60);
  if (!(timeout > 0)) return usageError(`--timeout-seconds: must be a number of seconds above 0 (got ${values['timeout-seconds']})`);
  const { config, providers } = readConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { app, db } = await boot(config, logger, { runsWorker: command === 'run-jobs', providers });
  try {
    const applied = await app.prepare();
    if (command === 'migrate') {
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } else if (command === 'seed') {
      const { seeded } = await seedDemoData(app, logger);
      console.log(seeded ? 'demo data seeded' : 'demo data already present');
    } else if (command === 'create-operator') {
      const input = z.object({ email, password }).safeParse({ email: values.email, password: values.password });
      if (!input.success) {
        console.error(`create-operator: ${input.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
        return 2;
      }
      const user = await app.services.accounts.createOperator(input.data);
      console.log(`operator created: ${user.email} (${user.id})`);
    } else if (command === 'reconcile') {
      const report = await app.reconcile();
      console.log(
        Object.entries(report.totals)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      );
      // Each check as the console's ledger board shows it.
      console.log(report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.ok ? c.detail : `${c.violations.length} violation(s)`}`).join('\n'));
      if (!report.ok) {
        console.error(`ledger invariants violated:\n${report.violations.map((v) => `  - ${v}`).join('\n')}`);
        return 1;
      }
      console.log('ledger reconciles: every invariant holds');
    } else {
      const { remaining, pending } = await app.jobs.runDueJobs(timeout * 1000);
      // The process's own run counter: nothing else ran jobs in this process.
      const byJob = new Map<string, { succeeded: number; failed: number }>();
      for (const { labels, value } of (await app.metrics.jobRuns.get()).values) {
        const counts = byJob.get(String(labels.job)) ?? { succeeded: 0, failed: 0 };
        counts[labels.outcome === 'failed' ? 'failed' : 'succeeded'] += value;
        byJob.set(String(labels.job), counts);
      }
      const total = (outcome: 'succeeded' | 'failed') => [...byJob.values()].reduce((sum, counts) => sum + counts[outcome], 0);
      console.log(byJob.size === 0 ? 'no jobs were due' : `jobs run: ${total('succeeded')} succeeded, ${total('failed')} failed`);
      for (const [name, counts] of [...byJob].sort(([a], [b]) => a.localeCompare(b)))
        console.log(`  ${name}: ${counts.succeeded} succeeded, ${counts.failed} failed`);
      if (total('failed') > 0)
        console.error('failed jobs are retried later by the worker (or left failed); the reasons are in the jobs table: docs/operations.md, Jobs');
      if (remaining > 0) console.log(`${remaining} due jobs still pending after ${timeout}s:`);
      for (const job of pending)
        console.log(
          `  ${job.name} ${job.id} due ${job.nextRunAt?.toISOString()}${job.lockedAt ? `, locked by ${job.lastModifiedBy} since ${job.lockedAt.toISOString()}` : ''}`,
        );
      if (remaining > 0 || total('failed') > 0) return 1;
    }
    return 0;
  } finally {
    await app.close();
    await db.close();
  }
}

/** `simulate`: the demand-certainty report of a scenario (docs/demand-certainty.md). */
async function simulateCommand(values: { scenario?: string; seed?: string; out?: string }): Promise<number> {
  let scenario;
  try {
    scenario = loadScenario(values.scenario ?? path.join(PROJECT_ROOT, 'simulation', 'default.json'));
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return usageError(error.message);
  }
  if (values.seed !== undefined && !/^\d{1,10}$/.test(values.seed))
    return usageError(`--seed: must be a whole number from 0 to 4294967295 (got ${values.seed})`);
  const seed = values.seed === undefined ? scenario.seed : Number(values.seed);
  if (seed > 2 ** 32 - 1) return usageError(`--seed: must be a whole number from 0 to 4294967295 (got ${values.seed})`);
  const report = buildReport(scenario, seed, await simulate(scenario, seed));
  const out = path.resolve(values.out ?? path.join(PROJECT_ROOT, 'docs', 'demand-certainty'));
  mkdirSync(out, { recursive: true });
  const base = path.join(out, `${scenario.name}-seed${seed}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, reportMarkdown(report));
  const { goal } = report;
  console.log(
    `production ÷ units finally paid: ${goal.ratio ?? '—'} (goal ≤ ${goal.maxRatio}: ${goal.met ? 'met' : 'not met'}); baseline: ${goal.baselineRatio ?? '—'}`,
  );
  console.log(`report: ${base}.json, ${base}.md`);
  return 0;
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `failed: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
