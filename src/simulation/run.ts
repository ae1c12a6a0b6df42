import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, readConfig } from '../app';
import { boot } from '../bootstrap';
import { businessDay } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { AppError } from '../platform/http/app-error';
import { createLogger } from '../platform/logger';
import { DEPOSIT_PAID_AFTER_MINUTES, type PlannedCampaign, planScenario } from './plan';
import type { Scenario } from './scenario';

/**
 * Runs a scenario through the real services: the app on a fresh embedded SQLite database in a temporary
 * directory, on a simulated clock that moves only when the run moves it. Consumers pledge, pay deposits
 * and balances through the sandbox gateway's signed notifications, and cancel; the job worker decides,
 * settles and forfeits at the scenario's job marks; each factory's forecast is published every simulated
 * midnight and read back from the batch, and once a campaign is decided the factory commits to the
 * batch's expected units. What was seen is returned for the report (report.ts).
 */

/**
 * Simulated time starts here: in the future, because the job queue runs a job once the real clock
 * reaches it, so a job the simulation schedules must not be due in real time before the simulation is.
 * A Monday, midnight China time.
 */
export const SIMULATION_START = new Date('2040-01-02T00:00:00+08:00');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The product ships this long after the close (the expected ship date the factory commits against). */
const SHIP_AFTER_DAYS = 30;

export interface ForecastPoint {
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}

export interface CampaignObservation {
  title: string;
  factory: string;
  windowDays: number;
  lastSeasonUnits: number;
  /** completed (succeeded and every pledge final) or failed. */
  status: string;
  /** The campaign's lines in the batch of each simulated midnight inside the window, by days left to the close. */
  checkpoints: ({ daysBeforeClose: number } & ForecastPoint)[];
  /** The campaign's lines in the batch published once it was decided. */
  atDecision: ForecastPoint;
  /** Units the factory committed to (the sum of its commitments on the decision batch's lines). */
  committedUnits: number;
  /** Units whose balance was paid: the purchases completed. */
  paidUnits: number;
  pledges: { placed: number; refused: number; depositsPaid: number; cancelled: number; expired: number; forfeited: number; paid: number; refunded: number };
}

class SimulatedClock implements Clock {
  constructor(private at: number) {}
  now(): Date {
    return new Date(this.at);
  }
  set(at: number): void {
    this.at = at;
  }
}

interface Event {
  at: number;
  /** At one moment: jobs first, then the forecasts are read, then consumers act. */
  phase: 0 | 1 | 2;
  seq: number;
  run(): Promise<void>;
}

/** Events in time order; ties by phase, then in the order they were added. */
class Timeline {
  private readonly events: Event[] = [];
  private seq = 0;

  add(at: number, phase: Event['phase'], run: () => Promise<void>): void {
    const event = { at, phase, seq: this.seq++, run };
    const before = (a: Event, b: Event) => a.at - b.at || a.phase - b.phase || a.seq - b.seq;
    let i = this.events.length;
    while (i > 0 && before(event, this.events[i - 1]) < 0) i--;
    this.events.splice(i, 0, event);
  }

  next(): Event | undefined {
    return this.events.shift();
  }
}

/** The settings of the simulation's app: the embedded database in `dataDir`, quiet, cheap password hashes (the consumers sign up by the hundred). */
function simulationConfig(dataDir: string) {
  return readConfig({
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEED_DEMO_DATA: 'false',
    SANDBOX_AUTO_CONFIRM: 'false',
    PASSWORD_HASH_MEMORY_KIB: '8',
    PASSWORD_HASH_ITERATIONS: '1',
    JOBS_POLL_INTERVAL_MS: '50',
    // Jobs here take milliseconds: a short lock, so agenda's lock checks (every half lifetime) do not outlive the run.
    JOBS_LOCK_LIFETIME_MS: '2000',
  });
}

export async function simulate(scenario: Scenario, seed: number): Promise<CampaignObservation[]> {
  const plan = planScenario(scenario, seed);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'c2m-simulation-'));
  const { config, providers } = simulationConfig(dataDir);
  const clock = new SimulatedClock(SIMULATION_START.getTime() - HOUR);
  const { app, db } = await boot(config, createLogger('silent'), { runsWorker: false, providers, clock });
  try {
    await app.prepare();
    // Started once rather than at every job mark: starting the worker costs more than the jobs of a mark.
    await app.jobs.startWorker();
    return await new Run(app, clock, scenario, plan).play();
  } finally {
    await app.jobs.stopWorker();
    await app.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface LiveCampaign {
  plan: PlannedCampaign;
  id: string;
  factoryId: string;
  opensAt: number;
  closesAt: number;
  pledges: { plan: PlannedCampaign['pledges'][number]; userId: string; pledgeId: string | undefined }[];
  checkpoints: CampaignObservation['checkpoints'];
  atDecision: ForecastPoint | undefined;
  committedUnits: number;
  decided: boolean;
}

class Run {
  private readonly timeline = new Timeline();
  private readonly factories = new Map<string, { id: string; principal: { role: 'factory'; factoryId: string; userId: string } }>();
  private readonly consumers: string[] = [];
  private readonly campaigns: LiveCampaign[] = [];

  constructor(
    private readonly app: App,
    private readonly clock: SimulatedClock,
    private readonly scenario: Scenario,
    private readonly plan: PlannedCampaign[],
  ) {}

  async play(): Promise<CampaignObservation[]> {
    await this.setUp();
    const start = SIMULATION_START.getTime();
    const lastClose = Math.max(...this.campaigns.map((c) => c.closesAt));
    const longestBalance = Math.max(...this.plan.map((c) => c.template.balanceWindowHours)) * HOUR;
    // Job marks until every balance window has ended and been acted on.
    const end = lastClose + 2 * DAY + longestBalance + 2 * this.scenario.jobsEveryHours * HOUR;
    for (let at = start; at <= end; at += this.scenario.jobsEveryHours * HOUR) this.timeline.add(at, 0, () => this.jobMark());
    for (let at = start; at <= lastClose; at += DAY) this.timeline.add(at, 1, () => this.readForecasts());
    for (const campaign of this.campaigns) this.schedulePledges(campaign);
    for (let event = this.timeline.next(); event; event = this.timeline.next()) {
      this.clock.set(event.at);
      await event.run();
    }
    return Promise.all(this.campaigns.map((c) => this.observe(c)));
  }

  private async setUp(): Promise<void> {
    const { accounts, factories, campaigns } = this.app.services;
    for (const name of [...new Set(this.plan.map((c) => c.factory))]) {
      const factory = await factories.create({ name, kind: 'manufacturer', contactEmail: `planner${this.factories.size + 1}@simulation.c2m.local` });
      const planner = await factories.addUser(factory.id, {
        email: `planner${this.factories.size + 1}@factory.simulation.c2m.local`,
        password: 'simulation planner',
      });
      this.factories.set(name, { id: factory.id, principal: { role: 'factory', factoryId: factory.id, userId: planner.id } });
    }
    // One pool of consumers: the n-th pledge of every campaign is the n-th consumer's.
    const most = Math.max(...this.plan.map((c) => c.pledges.length));
    for (let i = this.consumers.length; i < most; i++)
      this.consumers.push((await accounts.register({ email: `consumer${i + 1}@simulation.c2m.local`, password: 'simulation consumer' })).user.id);
    for (const planned of this.plan) {
      const { template } = planned;
      const opensAt = SIMULATION_START.getTime() + planned.opensOnDay * DAY;
      const closesAt = SIMULATION_START.getTime() + planned.closesOnDay * DAY;
      const draft = await campaigns.create({
        factoryId: this.factories.get(planned.factory)!.id,
        title: planned.title,
        productName: template.name,
        description: `Simulated campaign (${this.scenario.name}).`,
        options: [{ name: 'size', values: Object.keys(template.variants) }],
        imageUrl: undefined,
        referencePrice: template.referencePrice,
        depositRate: template.depositRate,
        depositCreditRate: '1',
        tiers: template.tiers,
        maxUnits: template.maxUnits,
        opensAt: new Date(opensAt),
        closesAt: new Date(closesAt),
        balanceWindowHours: template.balanceWindowHours,
        expectedShipDate: businessDay(new Date(closesAt + SHIP_AFTER_DAYS * DAY)),
      });
      await campaigns.publish(draft.id);
      this.campaigns.push({
        plan: planned,
        id: draft.id,
        factoryId: draft.factoryId,
        opensAt,
        closesAt,
        pledges: planned.pledges.map((p, i) => ({ plan: p, userId: this.consumers[i], pledgeId: undefined })),
        checkpoints: [],
        atDecision: undefined,
        committedUnits: 0,
        decided: false,
      });
    }
  }

  /** Each pledge, its deposit and its cancel, at their planned minutes. */
  private schedulePledges(campaign: LiveCampaign): void {
    const { placement, cancellation } = this.app.services.pledges;
    for (const pledge of campaign.pledges) {
      const consumer = { role: 'consumer' as const, userId: pledge.userId };
      const at = campaign.opensAt + pledge.plan.atMinute * MINUTE;
      this.timeline.add(at, 2, async () => {
        const placed = await refusedAsUndefined(() =>
          placement.create(consumer, campaign.id, { variant: { size: pledge.plan.variant }, quantity: pledge.plan.quantity }),
        );
        if (!placed) return;
        pledge.pledgeId = placed.pledge.id;
        if (pledge.plan.paysDeposit) this.timeline.add(at + DEPOSIT_PAID_AFTER_MINUTES * MINUTE, 2, () => this.pay(placed.payment));
      });
      if (pledge.plan.cancelsAtMinute !== undefined)
        this.timeline.add(campaign.opensAt + pledge.plan.cancelsAtMinute * MINUTE, 2, async () => {
          if (pledge.pledgeId) await refusedAsUndefined(() => cancellation.cancel(consumer, pledge.pledgeId!));
        });
    }
  }

  /** The sandbox gateway's signed notification that the consumer paid, delivered as the gateway would. */
  private async pay(payment: Parameters<App['services']['sandbox']['notification']>[0]): Promise<void> {
    const { sandbox, payments } = this.app.services;
    const signed = sandbox.notification(payment, 'succeeded');
    await payments.handleNotification(sandbox.name, signed.headers, signed.body);
  }

  /** The worker runs what is due (opening, deciding, settling, expiring, forfeiting); then newly decided campaigns are taken up. */
  private async jobMark(): Promise<void> {
    const { jobs } = this.app;
    if ((await jobs.countDueBy(this.clock.now())) > 0) await jobs.runDueBy(this.clock, 120_000);
    for (const campaign of this.campaigns.filter((c) => !c.decided && c.closesAt <= this.clock.now().getTime())) await this.takeUpDecision(campaign);
  }

  /**
   * Once decided: the factory's forecast is published (nothing new if the decision's own batch already
   * says it), read, and the factory commits to each of the campaign's lines at its expected units; the
   * consumers who pay their balance do so within the balance window.
   */
  private async takeUpDecision(campaign: LiveCampaign): Promise<void> {
    const { campaigns, forecasts, pledges } = this.app.services;
    const { campaign: row } = await campaigns.get(undefined, campaign.id);
    if (!['succeeded', 'failed', 'cancelled', 'completed'].includes(row.status)) return;
    campaign.decided = true;
    const factory = [...this.factories.values()].find((f) => f.id === campaign.factoryId)!;
    await forecasts.publish(campaign.factoryId, 'campaign_decided');
    const batch = await this.latestBatch(campaign.factoryId);
    const lines = batch?.lines.filter((l) => l.campaignId === campaign.id) ?? [];
    campaign.atDecision = sumOf(lines);
    if (batch && row.status !== 'failed' && row.status !== 'cancelled' && lines.length > 0) {
      await forecasts.acknowledge(factory.principal, batch.batch.id);
      await forecasts.commit(
        factory.principal,
        batch.batch.id,
        lines.map((l) => ({
          lineId: l.id,
          quantity: l.expectedUnits,
          shipBy: row.expectedShipDate,
          ...(l.expectedUnits < l.firmUnits ? { reason: 'other' as const, note: '按预测的尾款转化率生产（模拟）' } : {}),
        })),
      );
      campaign.committedUnits = lines.reduce((sum, l) => sum + l.expectedUnits, 0);
    }
    if (row.status !== 'succeeded' || !row.decidedAt) return;
    const window = row.balanceWindowHours * HOUR;
    for (const pledge of campaign.pledges.filter((p) => p.pledgeId && p.plan.paysBalance)) {
      const consumer = { role: 'consumer' as const, userId: pledge.userId };
      // Within the window: from an hour after the decision to an hour before the balance is due.
      const at = row.decidedAt.getTime() + HOUR + Math.floor(pledge.plan.balanceAt * (window - 2 * HOUR));
      this.timeline.add(Math.max(at, this.clock.now().getTime()), 2, async () => {
        const owed = await refusedAsUndefined(() => pledges.payments.balancePayment(consumer, pledge.pledgeId!));
        if (owed) await this.pay(owed.payment);
      });
    }
  }

  /** Every factory with a campaign in its window publishes its forecast (the daily batch), and each campaign's lines are read. */
  private async readForecasts(): Promise<void> {
    const now = this.clock.now().getTime();
    const inWindow = this.campaigns.filter((c) => c.opensAt < now && now < c.closesAt);
    for (const factoryId of [...new Set(inWindow.map((c) => c.factoryId))]) {
      await this.app.services.forecasts.publish(factoryId, 'daily');
      const batch = await this.latestBatch(factoryId);
      for (const campaign of inWindow.filter((c) => c.factoryId === factoryId))
        campaign.checkpoints.push({
          daysBeforeClose: Math.round((campaign.closesAt - now) / DAY),
          ...sumOf(batch?.lines.filter((l) => l.campaignId === campaign.id) ?? []),
        });
    }
  }

  private async latestBatch(factoryId: string) {
    const { items } = await this.app.services.forecasts.list(factoryId, { offset: 0, limit: 1 });
    return items.length === 0 ? undefined : this.app.services.forecasts.get(factoryId, items[0].batch.id);
  }

  private async observe(campaign: LiveCampaign): Promise<CampaignObservation> {
    const { campaigns, forecasts, pledges } = this.app.services;
    const { campaign: row } = await campaigns.get(undefined, campaign.id);
    const accuracy = await forecasts.accuracy(campaign.factoryId);
    const counts = { placed: 0, refused: 0, depositsPaid: 0, cancelled: 0, expired: 0, forfeited: 0, paid: 0, refunded: 0 };
    for (const pledge of campaign.pledges) {
      if (!pledge.pledgeId) {
        counts.refused++;
        continue;
      }
      counts.placed++;
      const { pledge: final } = await pledges.reads.get({ role: 'consumer', userId: pledge.userId }, pledge.pledgeId);
      if (final.status !== 'expired') counts.depositsPaid++;
      if (final.status in counts) counts[final.status as keyof typeof counts]++;
    }
    return {
      title: campaign.plan.title,
      factory: campaign.plan.factory,
      windowDays: campaign.plan.template.windowDays,
      lastSeasonUnits: campaign.plan.lastSeasonUnits,
      status: row.status,
      checkpoints: campaign.checkpoints,
      atDecision: campaign.atDecision ?? sumOf([]),
      committedUnits: campaign.committedUnits,
      paidUnits: accuracy.campaigns.find((c) => c.campaignId === campaign.id)?.actualUnits ?? 0,
      pledges: counts,
    };
  }
}

function sumOf(lines: readonly ForecastPoint[]): ForecastPoint {
  const total = (key: keyof ForecastPoint) => lines.reduce((sum, l) => sum + l[key], 0);
  return { firmUnits: total('firmUnits'), expectedUnits: total('expectedUnits'), lowUnits: total('lowUnits'), highUnits: total('highUnits') };
}

/** A consumer refused (the cap reached, the window closed, nothing owed any more) is part of the simulation, not a failure of it. */
async function refusedAsUndefined<T>(act: () => Promise<T>): Promise<T | undefined> {
  try {
    return await act();
  } catch (error) {
    if (error instanceof AppError && error.status < 500) return undefined;
    throw error;
  }
}
