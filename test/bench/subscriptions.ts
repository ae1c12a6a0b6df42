import { randomUUID } from 'node:crypto';
import { businessDay } from '../../src/platform/calendar';
import { planBox } from '../../src/scheduling';
import { FruitRow, PlanRow, SubscriptionRow } from '../../src/subscriptions';
import { REGIONS, addDays, cutoffOf, deliveryDates, firstDeliveryOn, periodDaysOf, shipDateOf } from '../../src/subscriptions/deliveries';
import { HORIZON_WEEKS, boxRequest, toPlannerFruit } from '../../src/subscriptions/box-planning';
import { type Machine, benchApp, benchDatabase } from './support';

/**
 * The planning job for 100,000 active subscriptions: four weeks of boxes planned and written to MariaDB.
 * The baseline, measured in the same run, is the planner alone on the same requests (no database):
 * the ratio says what the database and the job add to the planning itself.
 */
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 100_000);

export interface SubscriptionBenchResult {
  name: 'subscriptions';
  measuredAt: string;
  machine: Machine;
  subscriptions: number;
  service: { seconds: number; boxes: number; boxesPerSecond: number };
  baseline: { seconds: number; boxes: number; boxesPerSecond: number };
  ratio: number;
  coverage: { fullyCovered: number; withUncoveredDaysNamed: number; silentGaps: number; fullShare: number };
  targetUnder60s: boolean;
}

export async function benchSubscriptions(): Promise<SubscriptionBenchResult> {
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
  console.error(`subscribing ${SUBSCRIPTIONS} households…`);
  for (let offset = 0; offset < SUBSCRIPTIONS; offset += 1000) {
    const rows = Array.from({ length: Math.min(1000, SUBSCRIPTIONS - offset) }, () => {
      const plan = pick(plans);
      const region = pick(regions);
      const exclusions = next() < 0.3 ? [pick(fruits).id] : [];
      const [startDate, deliveryWeekday] = [addDays(today, Math.floor(next() * 7)), 1 + Math.floor(next() * 7)];
      return {
        id: randomUUID(),
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

  // Baseline: the planner alone, on the same requests (variety from the boxes just planned, as the job does).
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

  console.error('service: the planning job…');
  const started = performance.now();
  const { boxesPlanned } = await app.services.subscriptions.planning.planAhead();
  const seconds = (performance.now() - started) / 1000;

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
    name: 'subscriptions',
    measuredAt: new Date().toISOString(),
    machine,
    subscriptions: SUBSCRIPTIONS,
    service: { seconds: round(seconds), boxes: boxesPlanned, boxesPerSecond: Math.round(boxesPlanned / seconds) },
    baseline: { seconds: round(baselineSeconds), boxes: baselineBoxes, boxesPerSecond: Math.round(baselineBoxes / baselineSeconds) },
    ratio: round(boxesPlanned / seconds / (baselineBoxes / baselineSeconds)),
    coverage: { fullyCovered, withUncoveredDaysNamed: boxes - fullyCovered - silentGaps, silentGaps, fullShare: round(fullyCovered / boxes) },
    targetUnder60s: seconds < 60,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

export function subscriptionsMarkdown(r: SubscriptionBenchResult): string {
  return `# Benchmark: planning four weeks of fruit boxes for ${r.subscriptions.toLocaleString('en')} subscriptions

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
${r.subscriptions.toLocaleString('en')} active subscriptions (all four plans, households of 1 to the plan's maximum, 15 regions, every delivery weekday, 30 % excluding a fruit),
planned by the planning job (\`BoxPlanning.planAhead\`: batches of 1,000 subscriptions, two in flight, each planned and written with multi-row INSERTs in its own transaction).
The baseline is the planner alone on the same requests, with no database, measured in the same run.
Command: \`npm run bench -- subscriptions\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test).

| | boxes | seconds | boxes per second |
|---|---|---|---|
| baseline: the planner alone (no database) | ${r.baseline.boxes.toLocaleString('en')} | ${r.baseline.seconds} | ${r.baseline.boxesPerSecond.toLocaleString('en')} |
| service: the planning job, boxes written to MariaDB | ${r.service.boxes.toLocaleString('en')} | ${r.service.seconds} | ${r.service.boxesPerSecond.toLocaleString('en')} |

**Service / baseline throughput: ${r.ratio}.** Target (issue #5): four weeks for 100,000 subscriptions in under 60 s: **${r.targetUnder60s ? 'met' : 'missed'}**.

Coverage: ${r.coverage.fullyCovered.toLocaleString('en')} boxes (${Math.round(r.coverage.fullShare * 1000) / 10} %) cover every day; ${r.coverage.withUncoveredDaysNamed.toLocaleString('en')} name the days they cannot cover
(exclusions or the season leave nothing ready on some day, or the budget runs out); boxes with a short day they do not name: **${r.coverage.silentGaps}**.
`;
}
