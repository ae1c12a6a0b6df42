import { PledgeRow } from '../../src/pledges';
import { businessDay } from '../../src/platform/calendar';
import { addDays } from '../../src/subscriptions/deliveries';
import { campaignBody } from './pledges';
import { BENCH_OPERATOR, type LoadResult, type Machine, type Scenario, benchApp, benchDatabase, call, load, rssMiB, startBenchService } from './support';

/**
 * Soak: SOAK_MINUTES (default 10) of mixed load on MariaDB against the real service (one process, the
 * API and the job worker): pledges on an open campaign, campaign reads, the factory's live forecast,
 * and subscription changes (schedule, pause, resume). Measured minute by minute: requests, 5xx and
 * transport errors, p99 per kind, and the service's resident memory. At the end, once the sandbox has
 * confirmed every deposit, the ledger must reconcile. The resilience suite runs a shorter one.
 */
const CONSUMERS = 100;
/**
 * The service's old generation is capped, as docs/operations.md advises for production. Uncapped, V8 lets garbage pile up
 * towards a share of the machine's memory before it collects it: RSS rose 529 → 640 MiB over 10 minutes with a live heap
 * of some 60–70 MiB (heap snapshots), and the same load under this cap ran at the same rate at ~350 MiB. Capped, garbage
 * no longer looks like growth, and a leak shows as growth to the cap and then failed requests.
 */
const SOAK_OLD_SPACE_MIB = 256;
const FACTORY_USER = { email: 'soak-planner@bench.example', password: 'soak planner password' };

export interface SoakWindow {
  window: number;
  rssMiB: number;
  requests: number;
  serverErrors: number;
  transportErrors: number;
  p99Ms: Record<string, number>;
}

export interface SoakResult {
  name: 'soak';
  measuredAt: string;
  machine: Machine;
  minutes: number;
  windowSeconds: number;
  /** The service's --max-old-space-size. */
  oldSpaceMiB: number;
  connections: Record<string, number>;
  windows: SoakWindow[];
  totals: { requests: number; serverErrors: number; transportErrors: number; statuses: Record<string, Record<string, number>> };
  rssMiB: { first: number; last: number; max: number };
  /**
   * The service's RSS from the first window after the warm-up (the first window: JIT, pools, caches and the heap's
   * first growth) to the last, its fitted growth per minute, and whether it is flat: the last within 10 % of the first.
   */
  rssAfterWarmUp: { firstMiB: number; lastMiB: number; perMinuteMiB: number; flat: boolean };
  ledgerReconciles: boolean;
  violations: string[];
}

export async function benchSoak(minutes = Number(process.env.SOAK_MINUTES ?? 10), windowSeconds = 60): Promise<SoakResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench_soak');
  const app = benchApp(db, url);
  await app.prepare();
  const factory = await app.services.factories.create({ name: 'Soak factory', kind: 'manufacturer', contactEmail: 'soak@bench.example' });
  await app.services.factories.addUser(factory.id, FACTORY_USER);
  const service = await startBenchService(url, {}, { oldSpaceMiB: SOAK_OLD_SPACE_MIB });
  try {
    const { api } = service;
    const operator = (await call('POST', `${api}/v1/auth/login`, BENCH_OPERATOR)).token as string;
    const campaign = (await call('POST', `${api}/v1/campaigns`, campaignBody(factory.id), operator)) as { id: string };
    await call('POST', `${api}/v1/campaigns/${campaign.id}/publish`, {}, operator);
    const factoryToken = (await call('POST', `${api}/v1/auth/login`, FACTORY_USER)).token as string;
    const consumers: string[] = [];
    for (let i = 0; i < CONSUMERS; i += 20) {
      consumers.push(
        ...(await Promise.all(
          Array.from(
            { length: 20 },
            async (_, j) =>
              (await call('POST', `${api}/v1/auth/register`, { email: `soak-${i + j}@bench.example`, password: 'soak consumer password' })).token as string,
          ),
        )),
      );
    }
    const plans = (await call('GET', `${api}/v1/subscription-plans`)).items as { id: string }[];
    const today = businessDay(new Date());
    const subscriptions = await Promise.all(
      consumers.slice(0, 50).map(async (token, i) => {
        const body = {
          planId: plans[i % plans.length].id,
          startDate: addDays(today, 3),
          deliveryWeekday: 1 + (i % 7),
          region: 'shanghai',
          householdSize: 2,
          exclusions: [],
        };
        return { token, id: (await call('POST', `${api}/v1/subscriptions`, body, token)).id as string };
      }),
    );

    const pledge = JSON.stringify({ variant: { colour: 'navy', size: 'L' }, quantity: 1 });
    const pause = JSON.stringify({ until: addDays(today, 40) });
    const scenarios: Scenario[] = [
      {
        name: 'pledges',
        connections: 16,
        requests: consumers.map((token) => ({ method: 'POST', path: `/v1/campaigns/${campaign.id}/pledges`, token, body: pledge })),
      },
      {
        name: 'campaign reads',
        connections: 16,
        requests: [
          { method: 'GET', path: `/v1/campaigns/${campaign.id}` },
          { method: 'GET', path: '/v1/campaigns' },
        ],
      },
      { name: 'forecast', connections: 8, requests: [{ method: 'GET', path: '/v1/factory/forecast', token: factoryToken }] },
      {
        name: 'subscription changes',
        connections: 8,
        requests: subscriptions.flatMap(({ token, id }) => [
          { method: 'GET' as const, path: `/v1/subscriptions/${id}/schedule?weeks=4`, token },
          { method: 'POST' as const, path: `/v1/subscriptions/${id}/pause`, token, body: pause },
          { method: 'POST' as const, path: `/v1/subscriptions/${id}/resume`, token },
        ]),
      },
    ];

    const windows: SoakWindow[] = [];
    const statuses: Record<string, Record<string, number>> = {};
    for (let window = 1; window <= Math.max(1, Math.round((minutes * 60) / windowSeconds)); window++) {
      const results = await load({ base: api, durationSeconds: windowSeconds, scenarios });
      const all = Object.values(results);
      for (const [name, r] of Object.entries(results))
        for (const [status, n] of Object.entries(r.statuses)) (statuses[name] ??= {})[status] = (statuses[name][status] ?? 0) + n;
      windows.push({
        window,
        rssMiB: rssMiB(service.child.pid!),
        requests: all.reduce((n, r) => n + r.requests, 0),
        serverErrors: all.reduce((n, r) => n + serverErrorsIn(r), 0),
        transportErrors: all.reduce((n, r) => n + r.errors + r.timeouts, 0),
        p99Ms: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.latencyMs.p99])),
      });
      console.error(JSON.stringify(windows.at(-1)));
    }

    console.error('waiting for the sandbox to confirm every deposit, then reconciling');
    for (let i = 0; i < 600 && (await db.read((tx) => tx.countBy(PledgeRow, { campaignId: campaign.id, status: 'awaiting_deposit' }))) > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 500));
    const report = await app.reconcile();
    return {
      name: 'soak',
      measuredAt: new Date().toISOString(),
      machine,
      minutes,
      windowSeconds,
      oldSpaceMiB: SOAK_OLD_SPACE_MIB,
      connections: Object.fromEntries(scenarios.map((s) => [s.name, s.connections])),
      windows,
      totals: {
        requests: windows.reduce((n, w) => n + w.requests, 0),
        serverErrors: windows.reduce((n, w) => n + w.serverErrors, 0),
        transportErrors: windows.reduce((n, w) => n + w.transportErrors, 0),
        statuses,
      },
      rssMiB: { first: windows[0].rssMiB, last: windows.at(-1)!.rssMiB, max: Math.max(...windows.map((w) => w.rssMiB)) },
      rssAfterWarmUp: afterWarmUp(windows, windowSeconds),
      ledgerReconciles: report.ok,
      violations: report.violations,
    };
  } finally {
    await service.stop();
    await db.close();
  }
}

function afterWarmUp(windows: SoakWindow[], windowSeconds: number): SoakResult['rssAfterWarmUp'] {
  const measured = windows.length > 1 ? windows.slice(1) : windows;
  const [first, last] = [measured[0].rssMiB, measured.at(-1)!.rssMiB];
  // Least squares of RSS against time: one noisy window moves it less than first → last does.
  const minutes = measured.map((w) => (w.window * windowSeconds) / 60);
  const mx = minutes.reduce((a, b) => a + b, 0) / minutes.length;
  const my = measured.reduce((a, w) => a + w.rssMiB, 0) / measured.length;
  const sxx = minutes.reduce((a, m) => a + (m - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : minutes.reduce((a, m, i) => a + (m - mx) * (measured[i].rssMiB - my), 0) / sxx;
  return { firstMiB: first, lastMiB: last, perMinuteMiB: Math.round(slope * 10) / 10, flat: last <= first * 1.1 };
}

function serverErrorsIn(r: LoadResult): number {
  return Object.entries(r.statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((n, [, count]) => n + count, 0);
}

export function soakMarkdown(r: SoakResult): string {
  const kinds = Object.keys(r.connections);
  return `# Soak: ${r.minutes} minutes of mixed load

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
The real service (one process: API and job worker, production mode with its old generation capped at ${r.oldSpaceMiB} MiB as docs/operations.md advises, sandbox confirming deposits) under ${kinds.map((k) => `${r.connections[k]} connections of ${k}`).join(', ')}, all at once, from a second process.
Command: \`npm run bench -- soak\` (SOAK_MINUTES, default 10; MariaDB at BENCH_DATABASE_URL).

| ${r.windowSeconds} s window | RSS MiB | requests | 5xx | transport errors | ${kinds.map((k) => `p99 ${k} ms`).join(' | ')} |
|---|---|---|---|---|${kinds.map(() => '---').join('|')}|
${r.windows.map((w) => `| ${w.window} | ${w.rssMiB} | ${w.requests.toLocaleString('en')} | ${w.serverErrors} | ${w.transportErrors} | ${kinds.map((k) => w.p99Ms[k]).join(' | ')} |`).join('\n')}

Resident memory of the service: ${r.rssMiB.first} MiB after the first window (the warm-up), ${r.rssMiB.last} MiB after the last (max ${r.rssMiB.max}).
After the warm-up: ${r.rssAfterWarmUp.firstMiB} → ${r.rssAfterWarmUp.lastMiB} MiB (fitted ${r.rssAfterWarmUp.perMinuteMiB} MiB a minute): **${r.rssAfterWarmUp.flat ? 'flat' : 'NOT flat'}** (flat: the last window within 10 % of the first after the warm-up; the heap's sizing moves RSS by that much).
${r.totals.requests.toLocaleString('en')} requests, ${r.totals.serverErrors} answered 5xx, ${r.totals.transportErrors} transport errors. Statuses by kind: ${kinds.map((k) => `${k} ${JSON.stringify(r.totals.statuses[k] ?? {})}`).join('; ')}.
After the load the ledger ${r.ledgerReconciles ? 'reconciles' : `**does not reconcile**: ${r.violations.join('; ')}`}.
`;
}
