import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartupError, fileSystemReason } from './startup-error';

/**
 * A secret kept in DATA_DIR/secrets/<name>, generated on first use. For the embedded single-machine
 * setup only: replicas must share secrets, so production sets them in the environment.
 */
export function loadOrCreateSecret(dataDir: string, name: string): string {
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, name);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      // 'wx' fails if the file exists, so two processes starting together keep the first one's secret.
      writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    const reason = fileSystemReason(error);
    throw reason
      ? new StartupError(
          `cannot create the generated secret ${file}: ${reason}. Set DATA_DIR to a folder this user may write, or set the secret in the environment.`,
        )
      : error;
  }
}
