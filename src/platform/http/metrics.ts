import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one running service, served at GET /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly httpShed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests answered 503 overloaded because MAX_CONCURRENT_REQUESTS were already in flight',
    registers: [this.registry],
  });
  readonly campaignReadLoads = new Counter({
    name: 'campaign_read_cache_loads_total',
    help: 'Database reads made by the public campaign read cache (one per campaign or list page per CAMPAIGN_CACHE_MS at most, however many readers)',
    registers: [this.registry],
  });
  /** Pledges placed by this process, and their units: Prometheus' rate() of these is pledges and units per minute. */
  readonly pledgesPlaced = new Counter({
    name: 'pledges_placed_total',
    help: 'Pledges placed (written with their deposit payment) by this process',
    registers: [this.registry],
  });
  readonly unitsPledged = new Counter({
    name: 'pledged_units_total',
    help: 'Units of the pledges placed by this process',
    registers: [this.registry],
  });
  /** Transactions that placed pledges: pledges_placed_total / this is the group commit's mean batch (docs/benchmarks/pledges.md). */
  readonly pledgeBatches = new Counter({
    name: 'pledge_batches_total',
    help: 'Transactions that placed pledges (one per group commit of a campaign, or one per pledge placed alone)',
    registers: [this.registry],
  });
  readonly jobRuns = new Counter({
    name: 'job_runs_total',
    help: 'Job runs by job name and outcome (succeeded, failed)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Job run durations by job name',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });

  constructor(options: { processMetrics: boolean } = { processMetrics: true }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
