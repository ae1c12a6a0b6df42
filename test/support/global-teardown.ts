import { dropRunSchemas, TEST_RUN } from './database';

/** Drops the run's schemas: those its workers reused (emptiedDatabase) and any a test left behind (freshDatabase). */
export default async function globalTeardown(): Promise<void> {
  const run = process.env[TEST_RUN];
  if (run) await dropRunSchemas(run);
}
