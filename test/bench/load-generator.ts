// The load, from a process of its own: one autocannon instance per scenario, all at once, each cycling
// through its requests (method, path, token, body); every POST gets a fresh Idempotency-Key. Prints one
// JSON line with what each scenario measured.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import type { LoadConfig, LoadResult, Scenario } from './support';

async function run(base: string, durationSeconds: number, scenario: Scenario): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let finish!: (result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    {
      url: base,
      connections: scenario.connections,
      duration: durationSeconds,
      requests: [
        {
          setupRequest: (req) => {
            const r = scenario.requests[next++ % scenario.requests.length];
            return {
              ...req,
              method: r.method,
              path: r.path,
              body: r.body,
              headers: {
                ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
                ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
                ...(r.method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
              },
            };
          },
        },
      ],
    },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
  });
  const result = await done;
  latencies.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    durationSeconds: result.duration,
    requests: latencies.length,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: ms(at(50)), p95: ms(at(95)), p99: ms(at(99)), max: ms(latencies[latencies.length - 1] ?? 0) },
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.LOAD_CONFIG!) as LoadConfig;
  const results = await Promise.all(config.scenarios.map((s) => run(config.base, config.durationSeconds, s)));
  process.stdout.write(`${JSON.stringify(Object.fromEntries(config.scenarios.map((s, i) => [s.name, results[i]])))}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
