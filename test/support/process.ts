import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REGISTER = path.join(__dirname, 'register-ts.js');
const SRC = path.join(__dirname, '../../src');

export interface RunningService {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts the real service (src/main.ts) as its own process and waits for its "ready" log line. */
export async function startService(env: Record<string, string>, args: string[] = []): Promise<RunningService> {
  const child = spawn(process.execPath, ['-r', REGISTER, path.join(SRC, 'main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the test: nobody would hold its handle to kill it.
      child.kill('SIGKILL');
      reject(new Error(`service did not get ready:\n${out}`));
    }, 60_000);
    const check = () => {
      const ready = out
        .split('\n')
        .map(tryJson)
        .find((line) => typeof line?.msg === 'string' && line.msg.startsWith('ready'));
      if (ready) {
        clearTimeout(timer);
        // A busy service logs a line per request: re-reading all of its output on every chunk would cost the test process O(n²).
        child.stdout!.off('data', check);
        resolve(ready.port as number);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it was ready:\n${out}`));
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Runs the CLI (src/cli.ts) to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit('cli.ts', args, { PATH: process.env.PATH ?? '', ...env });
}

/** Runs the service (src/main.ts) where it is expected to refuse to start; killed if it is still running after a minute. */
export function runServiceToExit(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit('main.ts', args, { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, 60_000);
}

function runToExit(
  script: string,
  args: string[],
  env: Record<string, string>,
  killAfterMs?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', REGISTER, path.join(SRC, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .map(tryJson)
    .filter((l): l is Record<string, unknown> => l !== undefined);
}

function tryJson(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
