import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../platform/clock';
import { FreshCache } from '../platform/fresh-cache';
import type { Decimal } from '../platform/money';

/** Where each figure comes from: the owning modules' services, wired in app.ts. */
export interface FigureSources {
  depositsHeld(): Promise<{ pledges: number; amount: Decimal }>;
  balancesOutstanding(): Promise<{ pledges: number; amount: Decimal }>;
  refunds(): Promise<{ pending: number; processing: number; failed: number }>;
  /** Per job name, how long its oldest due job has waited (0 when none is due). */
  jobLag(): Promise<{ name: string; lagMs: number }[]>;
  /** Forecast batches whose pushes to their factory's webhook are failing now (never delivered, newer than the last delivered). */
  webhookBatchesFailing(): Promise<number>;
  /** Forecast batches published more than a day ago that their factory has not acknowledged. */
  overdueBatches(): Promise<number>;
  /** Pledges and units placed per minute between two instants (minutes with none left out). */
  pledgesPerMinute(since: Date, until: Date): Promise<{ minute: Date; pledges: number; units: number }[]>;
}

export interface Figures {
  at: Date;
  depositsHeld: { pledges: number; amount: Decimal };
  balancesOutstanding: { pledges: number; amount: Decimal };
  refunds: { pending: number; processing: number; failed: number };
  jobs: { name: string; lagMs: number }[];
  webhookBatchesFailing: number;
  overdueBatches: number;
  /** The last 60 minutes, oldest first, every minute (zeros included); the current minute last. */
  lastHour: { minute: Date; pledges: number; units: number }[];
}

const MINUTE_MS = 60_000;

/**
 * The business figures (docs/operator-console.md § 概览): the operators' front page (GET /v1/console/summary) and the
 * gauges on /metrics, computed from the database by the owning modules at most every `maxAgeMs` (one load however
 * many scrapes and screens ask at once).
 */
export class BusinessFigures {
  private readonly cache: FreshCache<'now', Figures>;

  constructor(private readonly deps: { sources: FigureSources; clock: Clock; maxAgeMs: number }) {
    this.cache = new FreshCache({ maxAgeMs: deps.maxAgeMs, maxEntries: 1 });
  }

  now(): Promise<Figures> {
    return this.cache.get('now', () => this.load());
  }

  private async load(): Promise<Figures> {
    const { sources } = this.deps;
    const at = this.deps.clock.now();
    const thisMinute = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;
    const since = new Date(thisMinute - 59 * MINUTE_MS);
    const [depositsHeld, balancesOutstanding, refunds, jobs, webhookBatchesFailing, overdueBatches, minutes] = await Promise.all([
      sources.depositsHeld(),
      sources.balancesOutstanding(),
      sources.refunds(),
      sources.jobLag(),
      sources.webhookBatchesFailing(),
      sources.overdueBatches(),
      sources.pledgesPerMinute(since, new Date(thisMinute + MINUTE_MS)),
    ]);
    const byMinute = new Map(minutes.map((m) => [m.minute.getTime(), m]));
    const lastHour = Array.from({ length: 60 }, (_, i) => {
      const minute = since.getTime() + i * MINUTE_MS;
      const counted = byMinute.get(minute);
      return { minute: new Date(minute), pledges: counted?.pledges ?? 0, units: counted?.units ?? 0 };
    });
    return { at, depositsHeld, balancesOutstanding, refunds, jobs, webhookBatchesFailing, overdueBatches, lastHour };
  }

  /**
   * The figures as gauges on `registry`, set when Prometheus scrapes. If the database cannot be read, the gauges keep
   * their last values (the scrape of every other metric goes on).
   */
  register(registry: Registry): void {
    const figures = this;
    const gauge = (name: string, help: string, set: (g: Gauge, f: Figures) => void, labelNames: string[] = []) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          const f = await figures.now().catch(() => undefined);
          if (f) set(this, f);
        },
      });
    gauge('deposits_held_yuan', 'Deposits paid and not given back, in yuan', (g, f) => g.set(f.depositsHeld.amount.toNumber()));
    gauge('deposits_held_pledges', 'Pledges whose deposit is held', (g, f) => g.set(f.depositsHeld.pledges));
    gauge('balances_outstanding_yuan', 'Balances owed by pledges awaiting their balance, in yuan', (g, f) => g.set(f.balancesOutstanding.amount.toNumber()));
    gauge('balances_outstanding_pledges', 'Pledges awaiting their balance', (g, f) => g.set(f.balancesOutstanding.pledges));
    gauge('refunds_pending', 'Refunds not yet paid out: to be sent (pending) or with the provider (processing)', (g, f) =>
      g.set(f.refunds.pending + f.refunds.processing),
    );
    gauge('refunds_failed', 'Refunds whose last attempt failed (sent again by the refund job)', (g, f) => g.set(f.refunds.failed));
    gauge(
      'job_lag_seconds',
      'How long the oldest due job of each name has waited for a worker (0 when none is due)',
      (g, f) => {
        g.reset();
        for (const job of f.jobs) g.set({ job: job.name }, job.lagMs / 1000);
      },
      ['job'],
    );
    gauge('webhook_batches_failing', "Forecast batches whose pushes to their factory's webhook are failing", (g, f) => g.set(f.webhookBatchesFailing));
    gauge('forecast_batches_overdue', 'Forecast batches published more than a day ago and not acknowledged by their factory', (g, f) =>
      g.set(f.overdueBatches),
    );
  }
}
