import { parseArgs } from 'node:util';
import { z } from 'zod';
import { email, password } from './accounts';
import { boot } from './bootstrap';
import { seedDemoData } from './demo/seed';
import { readConfig } from './app';
import { ConfigError } from './platform/config';
import { createLogger } from './platform/logger';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  seed                                      seed the demo data (once; a seeded database is left alone)
  create-operator --email E --password P    create an operator account
  run-jobs [--timeout-seconds N]            run every job that is due now, then exit (default timeout 60)
  reconcile                                 check every ledger invariant; exit 1 if one fails
`;

const COMMANDS = ['migrate', 'seed', 'create-operator', 'run-jobs', 'reconcile'];

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
      options: { email: { type: 'string' }, password: { type: 'string' }, 'timeout-seconds': { type: 'string' }, help: { type: 'boolean' } },
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
    await db.close();
  }
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `failed: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
