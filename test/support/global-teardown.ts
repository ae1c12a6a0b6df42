import { dropRunSchemas, TEST_RUN } from './database';

/** Drops the schemas the run's workers reused (emptiedDatabase). */
export default async function globalTeardown(): Promise<void> {
  const run = process.env[TEST_RUN];
  if (run) await dropRunSchemas(run);
}
