// A real worker process for the job-backend tests: started with fork(), killed with SIGKILL or
// stopped with SIGTERM by the test. Configured through the environment.
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { openDatabase } from '../../src/platform/database';
import { Metrics } from '../../src/platform/http/metrics';
import { Jobs } from '../../src/platform/jobs';
import { createLogger } from '../../src/platform/logger';
import { recordingJob } from './test-jobs';

async function main(): Promise<void> {
  const env = process.env;
  const db = await openDatabase(JSON.parse(env.TEST_DB_CONFIG!), entities, migrations);
  const jobs = new Jobs(db, createLogger('silent'), new Metrics({ processMetrics: false }), {
    pollIntervalMs: 50,
    lockLifetimeMs: Number(env.LOCK_LIFETIME_MS ?? 2000),
  });
  jobs.register(recordingJob({ logFile: env.LOG_FILE!, worker: env.WORKER_NAME!, hang: env.HANG === '1', workMs: Number(env.WORK_MS ?? 20) }));
  await jobs.startWorker();
  process.send?.('ready');
  process.once('SIGTERM', async () => {
    await jobs.stopWorker(5000);
    await db.close();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
