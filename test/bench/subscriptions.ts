import { randomUUID } from 'node:crypto';
import { businessDay } from '../../src/platform/calendar';
import { planBox } from '../../src/scheduling';
import { FruitRow, PlanRow, SubscriptionRow } from '../../src/subscriptions';
import { REGIONS, addDays, cutoffOf, deliveryDates, firstDeliveryOn, periodDaysOf, shipDateOf } from '../../src/subscriptions/deliveries';
import { HORIZON_WEEKS, boxRequest, toPlannerFruit } from '../../src/subscriptions/box-planning';
import { describeGrowth, writeGrowthChart } from './growth';
import { type Machine, type PeakRss, benchApp, benchDatabase, peakRssMiB, resetPeakRss } from './support';

/**
 * The planning job for 10,000, 100,000 and 1,000,000 active subscriptions (BENCH_SUBSCRIPTIONS, sizes 10×
 * apart), each on a fresh database: four weeks of boxes planned and written to MariaDB. The baseline,
 * measured in the same run at each size, is the planner alone on the same requests (no database): the
 * ratio says what the database and the job add to the planning itself.
 */
const SIZES = (process.env.BENCH_SUBSCRIPTIONS ?? '10000,100000,1000000').split(',').map(Number);

export interface SubscriptionBenchResult {
  name: 'subscriptions';
  measuredAt: string;
  machine: Machine;
  sizes: SubscriptionsAtSize[];
  growth: { service: string; baseline: string };
  chart: string;
}

export interface SubscriptionsAtSize {
  subscriptions: number;
  seedSeconds: number;
  service: { seconds: number; boxes: number; boxesPerSecond: number };
  baseline: { seconds: number; boxes: number; boxesPerSecond: number };
  ratio: number;
  coverage: { fullyCovered: number; withUncoveredDaysNamed: number; silentGaps: number; fullShare: number };
  /** Of the bench process, which runs the job (the service in process): during the job alone, and over the whole size. */
  peakRssMiB: { job: number } & PeakRss;
}

export async function benchSubscriptions(): Promise<SubscriptionBenchResult> {
  const sizes: SubscriptionsAtSize[] = [];
  let machine: Machine | undefined;
  for (const size of [...SIZES].sort((a, b) => a - b)) {
    console.error(`== ${size} subscriptions`);
    const measured = await planningAt(size);
    machine = measured.machine;
    sizes.push(measured.result);
    console.error(JSON.stringify(measured.result));
  }
  const series = {
    service: { name: 'the planning job, boxes written to MariaDB', points: sizes.map((s) => ({ x: s.subscriptions, y: s.service.seconds })) },
    baseline: { name: 'the planner alone (no database)', points: sizes.map((s) => ({ x: s.subscriptions, y: s.baseline.seconds })) },
  };
  const chart = writeGrowthChart('subscriptions', {
    title: 'Planning four weeks of fruit boxes: seconds by subscriptions',
    xLabel: 'active subscriptions',
    yLabel: 'seconds',
    logY: true,
    series: Object.values(series),
  });
  const growth = (points: { x: number; y: number }[]) => (points.length > 1 ? describeGrowth(points) : 'one size only');
  return {
    name: 'subscriptions',
    measuredAt: new Date().toISOString(),
    machine: machine!,
    sizes,
    growth: { service: growth(series.service.points), baseline: growth(series.baseline.points) },
    chart,
  };
}

async function planningAt(size: number): Promise<{ machine: Machine; result: SubscriptionsAtSize }> {
  resetPeakRss();
  const { db, url, machine } = await benchDatabase('c2m_bench_subscriptions');
  const app = benchApp(db, url);
  await app.prepare();

  const plans = await db.read((tx) => tx.find(PlanRow));
  const fruits = await db.read((tx) => tx.find(FruitRow));
  const regions = Object.keys(REGIONS);
  const today = businessDay(new Date());
  let random = 7;
  // A fixed pseudo-random sequence: every run subscribes the same mix of households.
  const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  console.error(`subscribing ${size} households…`);
  const seedStarted = performance.now();
  for (let offset = 0; offset < size; offset += 1000) {
    const rows = Array.from({ length: Math.min(1000, size - offset) }, (_, i) => {
      const plan = pick(plans);
      const region = pick(regions);
      const exclusions = next() < 0.3 ? [pick(fruits).id] : [];
      const [startDate, deliveryWeekday] = [addDays(today, Math.floor(next() * 7)), 1 + Math.floor(next() * 7)];
      return {
        // In key order, as a time-ordered id would be: random keys made a million inserts read the table from disk.
        id: `00000000-0000-4000-8000-${(offset + i).toString(16).padStart(12, '0')}`,
        user_id: randomUUID(),
        plan_id: plan.id,
        start_date: startDate,
        delivery_weekday: deliveryWeekday,
        region,
        transit_days: REGIONS[region],
        first_delivery_date: firstDeliveryOn(startDate, deliveryWeekday, REGIONS[region], new Date()),
        household_size: 1 + Math.floor(next() * plan.maxHousehold),
        exclusions: JSON.stringify(exclusions),
        status: 'active',
        paused_until: null,
        created_at: new Date(),
        cancelled_at: null,
      };
    });
    await db.statement((tx) => db.insertRows(tx, 'subscriptions', rows));
  }

  const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;

  console.error('service: the planning job…');
  resetPeakRss();
  const started = performance.now();
  const { boxesPlanned } = await app.services.subscriptions.planning.planAhead();
  const seconds = (performance.now() - started) / 1000;
  const jobPeak = peakRssMiB();

  // Baseline: the planner alone, on the same requests (variety from the boxes just planned, as the job does),
  // after the job: the planner's code is then warm for it, so the ratio errs in the baseline's favour.
  const subscriptions = await db.read((tx) => tx.find(SubscriptionRow));
  const catalogue = fruits.filter((f) => f.active).map(toPlannerFruit);
  const plansById = new Map(plans.map((p) => [p.id, p]));
  const until = addDays(today, HORIZON_WEEKS * 7);
  console.error('baseline: the planner alone…');
  const now = new Date();
  const baselineStarted = performance.now();
  let baselineBoxes = 0;
  for (const s of subscriptions) {
    const plan = plansById.get(s.planId)!;
    let recent: string[][] = [];
    for (const date of deliveryDates(s, periodDaysOf(plan.period), today, until)) {
      // As the job does: a delivery whose cutoff has passed is not planned any more.
      if (cutoffOf(shipDateOf(date, s.transitDays)) <= now) continue;
      const box = planBox(boxRequest(s, plan, catalogue, date, recent, null));
      recent = [box.items.map((i) => i.fruitId), ...recent].slice(0, 2);
      baselineBoxes += 1;
    }
  }
  const baselineSeconds = (performance.now() - baselineStarted) / 1000;

  // Every box is checked through its contents (boxes with the same contents share one row). A silent gap:
  // a day short of portions that the box does not name; a box whose contents are missing counts as one too.
  const boxesOf = (await db.read((tx) => tx.query('SELECT contents_id, COUNT(*) AS n FROM fruit_boxes GROUP BY contents_id'))) as {
    contents_id: string;
    n: string | number;
  }[];
  const contents = new Map(
    ((await db.read((tx) => tx.query('SELECT id, coverage, uncovered FROM fruit_box_contents'))) as { id: string; coverage: string; uncovered: string }[]).map(
      (l) => [l.id, l],
    ),
  );
  let boxes = 0;
  let fullyCovered = 0;
  let silentGaps = 0;
  for (const { contents_id, n } of boxesOf) {
    boxes += Number(n);
    const box = contents.get(contents_id);
    const named = new Set((box ? (JSON.parse(box.uncovered) as { date: string }[]) : []).map((u) => u.date));
    const short = (box ? (JSON.parse(box.coverage) as { date: string; neededPortions: number; plannedPortions: number }[]) : []).filter(
      (d) => d.plannedPortions < d.neededPortions,
    );
    if (!box || short.some((d) => !named.has(d.date))) silentGaps += Number(n);
    else if (named.size === 0) fullyCovered += Number(n);
  }
  await db.close();
  return {
    machine,
    result: {
      subscriptions: size,
      seedSeconds,
      service: { seconds: round(seconds), boxes: boxesPlanned, boxesPerSecond: Math.round(boxesPlanned / seconds) },
      baseline: { seconds: round(baselineSeconds), boxes: baselineBoxes, boxesPerSecond: Math.round(baselineBoxes / baselineSeconds) },
      ratio: round(boxesPlanned / seconds / (baselineBoxes / baselineSeconds)),
      coverage: { fullyCovered, withUncoveredDaysNamed: boxes - fullyCovered - silentGaps, silentGaps, fullShare: round(fullyCovered / boxes) },
      peakRssMiB: { job: jobPeak, benchProcess: peakRssMiB() },
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

export function subscriptionsMarkdown(r: SubscriptionBenchResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const target = r.sizes.find((s) => s.subscriptions === 100_000);
  return `# Benchmark: planning four weeks of fruit boxes for ${r.sizes.map((s) => n(s.subscriptions)).join(', ')} subscriptions

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
At each size, on a fresh database: that many active subscriptions (all four plans, households of 1 to the plan's maximum, 15 regions,
every delivery weekday, 30 % excluding a fruit), planned by the planning job (\`BoxPlanning.planAhead\`: batches of 1,000 subscriptions,
two in flight, each planned and written with multi-row INSERTs in its own transaction), in the bench process.
The baseline is the planner alone on the same requests, with no database, measured in the same run right after the job.
Command: \`npm run bench -- subscriptions\` (BENCH_SUBSCRIPTIONS=10000,100000,1000000 by default; MariaDB at BENCH_DATABASE_URL).

![planning seconds by subscriptions](${r.chart})

| subscriptions | boxes | job: seconds | job: boxes/s | baseline (planner alone): seconds | baseline: boxes/s | job / baseline throughput | boxes covering every day | short days not named | peak RSS MiB: the job, the whole size |
|---|---|---|---|---|---|---|---|---|---|
${r.sizes
  .map(
    (s) =>
      `| ${n(s.subscriptions)} | ${n(s.service.boxes)} | ${s.service.seconds} | ${n(s.service.boxesPerSecond)} | ${s.baseline.seconds} | ${n(s.baseline.boxesPerSecond)} | ${s.ratio} | ${Math.round(s.coverage.fullShare * 1000) / 10} % | ${s.coverage.silentGaps} | ${n(s.peakRssMiB.job)}, ${n(s.peakRssMiB.benchProcess)} |`,
  )
  .join('\n')}

How the cost grows (the slope of log seconds against log subscriptions, test/bench/growth.ts: under 0.2 flat, under 0.8 sub-linear, to 1.2 linear):
- The planning job: **${r.growth.service}**. Expected linear: each subscription's boxes are planned on their own (a few boxes
  each, from the same catalogue) and written in batches of a thousand, so the work per subscription does not depend on how many others
  there are. Below linear means costs that do not grow (reading the catalogue and plans, warming up) still weigh at the small size; above
  it, that each box costs more to write as the tables grow (their indexes outgrow the database's buffer pool${r.machine.bufferPoolMiB ? `, ${r.machine.bufferPoolMiB} MiB here` : ''}).
- The planner alone: **${r.growth.baseline}** (no database: the planning itself); the job's ratio to it at each size says what the database adds.

Peak RSS is the bench process's (it runs the job, as the service's worker would): during the job alone (the kernel's high-water mark,
reset when the job began), and over the whole size (seeding, and the baseline, which holds every subscription in memory at once).
The job holds two batches of a thousand at a time and a memo of the distinct boxes planned in the pass (many households ask the
same: a few thousand), so its own peak should grow far slower than the subscriptions: it grew **${r.sizes.length > 1 ? describeGrowth(r.sizes.map((s) => ({ x: s.subscriptions, y: s.peakRssMiB.job }))) : 'one size only'}**.
Target (issue #5): four weeks for 100,000 subscriptions in under 60 s: **${target ? (target.service.seconds < 60 ? 'met' : 'missed') : 'not measured in this run'}**${target ? ` (${target.service.seconds} s)` : ''}.
Coverage at every size: boxes with a short day they do not name: **${r.sizes.reduce((total, s) => total + s.coverage.silentGaps, 0)}**.
`;
}
