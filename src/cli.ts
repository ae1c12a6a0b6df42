import { parseArgs } from 'node:util';
import { z } from 'zod';
import { email, password } from './accounts';
import { boot } from './bootstrap';
import { seedDemoData } from './demo/seed';
import { ConfigError, parseConfig } from './platform/config';
import { createLogger } from './platform/logger';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  seed                                      seed the demo data (once; a seeded database is left alone)
  create-operator --email E --password P    create an operator account
  run-jobs [--timeout-seconds N]            run every job that is due now, then exit (default timeout 60)
  reconcile                                 check every ledger invariant; exit 1 if one fails
`;

/** Operations from the command line. Exit code 0 = done, 1 = failed, 2 = wrong usage. */
async function cli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' }, 'timeout-seconds': { type: 'string' }, help: { type: 'boolean' } },
  });
  const command = positionals[0];
  if (!command || values.help || !['migrate', 'seed', 'create-operator', 'run-jobs', 'reconcile'].includes(command)) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const config = parseConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { app, db } = await boot(config, logger, { runsWorker: command === 'run-jobs' });
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
      console.log(Object.entries(report.totals).map(([k, v]) => `${k}: ${v}`).join('\n'));
      if (!report.ok) {
        console.error(`ledger invariants violated:\n${report.violations.map((v) => `  - ${v}`).join('\n')}`);
        return 1;
      }
      console.log('ledger reconciles: every invariant holds');
    } else {
      const timeout = Number(values['timeout-seconds'] ?? 60);
      const { remaining, pending } = await app.jobs.runDueJobs(timeout * 1000);
      console.log(remaining === 0 ? 'all due jobs ran' : `${remaining} due jobs still pending after ${timeout}s:`);
      for (const job of pending) console.log(`  ${job.name} ${job.id} due ${job.nextRunAt?.toISOString()}${job.lockedAt ? `, locked by ${job.lastModifiedBy} since ${job.lockedAt.toISOString()}` : ''}`);
      if (remaining > 0) return 1;
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
