import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../../src/platform/clock';
import { TEST_ENV, startTestApp, type TestApp } from '../../support/app';
import { freshDatabase } from '../../support/database';
import { logLines, runCli, startService, type RunningService } from '../../support/process';

/**
 * Secrets every process of a fleet shares, as production replicas share AUTH_SECRET: a token issued by
 * one API is accepted by the other, a notification signed for the sandbox verifies everywhere.
 */
export const FLEET_SECRETS = {
  auth: 'resilience-fleet-auth-secret-0123456789abcdef',
  sandbox: 'resilience-fleet-sandbox-secret-0123456789abcd',
} as const;

export type Role = 'api' | 'worker';

export interface FleetProcess extends RunningService {
  role: Role;
  name: string;
}

/**
 * Real service processes (src/main.ts, `--role=api` or `--role=worker`) on one fresh MariaDB schema,
 * beside `t`: the app in the test's own process on the same schema, for setting up data, reading it
 * and reconciling the ledger. It does not run jobs: the worker processes do.
 *
 * `close()` kills whatever is still running and drops the schema; call it from afterAll, so a failed
 * test leaves no process behind.
 */
export class Fleet {
  private readonly processes: FleetProcess[] = [];

  private constructor(
    readonly t: TestApp,
    /** The environment every process of the fleet starts with (a process may add to it). */
    readonly env: Record<string, string>,
    /** The MariaDB schema, to find the fleet's connections in the process list. */
    readonly schema: string,
  ) {}

  static async start(options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<Fleet> {
    const database = await freshDatabase();
    if (database.config.kind !== 'mysql') {
      throw new Error('The process tests of the resilience suite run on MariaDB/MySQL: set TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/test');
    }
    const t = await startTestApp({ database, clock: options.clock });
    const env = {
      ...TEST_ENV,
      DATABASE_URL: database.config.url,
      DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'c2m-fleet-')), 'data'),
      AUTH_SECRET: FLEET_SECRETS.auth,
      SANDBOX_SECRET: FLEET_SECRETS.sandbox,
      // startService waits for the "ready" line, logged at info; requests are logged at info too, errors at error.
      LOG_LEVEL: 'info',
      // A killed worker's job is taken over once its lock is this old; long enough that a job of a
      // few thousand rows on a loaded machine is not taken over while its worker is alive.
      JOBS_LOCK_LIFETIME_MS: '15000',
      ...options.env,
    };
    return new Fleet(t, env, new URL(database.config.url).pathname.slice(1));
  }

  api(name: string, env: Record<string, string> = {}): Promise<FleetProcess> {
    return this.spawn('api', name, env);
  }

  worker(name: string, env: Record<string, string> = {}): Promise<FleetProcess> {
    return this.spawn('worker', name, env);
  }

  /** The processes started so far (running or not), in start order. */
  get all(): readonly FleetProcess[] {
    return this.processes;
  }

  /** SIGKILL: the process gets no chance to finish anything. Resolves once it is gone. */
  async kill(process: FleetProcess): Promise<void> {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
    await process.exited;
  }

  /** SIGTERM: the graceful shutdown (in-flight requests answered, running jobs given 10 s). Resolves with the exit code. */
  async stop(process: FleetProcess): Promise<number | null> {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGTERM');
    return process.exited;
  }

  /** What a process logged at error level or above (pino level ≥ 50), and any output that is not a log line (a crash's stack). */
  errorLog(process: FleetProcess): string[] {
    return process
      .output()
      .split('\n')
      .filter((line) => {
        if (line.trim() === '') return false;
        const [parsed] = logLines(line);
        return parsed === undefined || Number(parsed.level) >= 50;
      });
  }

  /** The reconcile command (`npm run cli -- reconcile`), run against the fleet's database. */
  reconcileCommand(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runCli(['reconcile'], this.env);
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.kill(p)));
    await this.t.close();
  }

  private async spawn(role: Role, name: string, env: Record<string, string>): Promise<FleetProcess> {
    const service = await startService({ ...this.env, ...env }, [`--role=${role}`]);
    const process = Object.assign(service, { role, name });
    this.processes.push(process);
    return process;
  }
}
