// The load, from a process of its own: autocannon POSTs pledges with a fresh Idempotency-Key and a
// rotating consumer token on every request. Prints one JSON line with what it measured.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';

interface LoadConfig {
  url: string;
  connections: number;
  durationSeconds: number;
  tokens: string[];
  body: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.LOAD_CONFIG!) as LoadConfig;
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let finish!: (result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          body: config.body,
          headers: {
            'content-type': 'application/json',
            ...(config.tokens.length ? { authorization: `Bearer ${config.tokens[next++ % config.tokens.length]}` } : {}),
            'idempotency-key': randomUUID(),
          },
        }),
      },
    ],
  }, (error, result) => {
    if (error) throw error;
    finish(result);
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
  });
  const result = await done;
  latencies.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      durationSeconds: result.duration,
      requests: latencies.length,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      latencyMs: { p50: ms(at(50)), p95: ms(at(95)), p99: ms(at(99)), max: ms(latencies[latencies.length - 1] ?? 0) },
    })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
