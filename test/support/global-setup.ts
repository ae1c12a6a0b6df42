import { randomBytes } from 'node:crypto';
import { TEST_RUN } from './database';

/** Names this run before the workers start (they inherit the environment): see emptiedDatabase. */
export default function globalSetup(): void {
  process.env[TEST_RUN] = randomBytes(4).toString('hex');
}
