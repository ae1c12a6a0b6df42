import { z } from 'zod';
import { moneyString } from '../platform/money';
import type { Figures } from './figures';

const count = z.int().min(0);

export const ConsoleSummaryDocument = z
  .object({
    at: z.iso.datetime().meta({ description: 'When the figures were read (they are at most a few seconds old)' }),
    depositsHeld: z.object({ pledges: count, amount: moneyString }).meta({ description: 'Deposits paid and not given back' }),
    balancesOutstanding: z.object({ pledges: count, amount: moneyString }).meta({ description: 'Pledges awaiting their balance, and what they owe' }),
    refunds: z
      .object({ pending: count, processing: count, failed: count })
      .meta({ description: 'Refunds to be sent (pending), with the provider (processing), and whose last attempt failed (sent again by the refund job)' }),
    jobs: z.array(z.object({ name: z.string(), lagSeconds: z.number().min(0) })).meta({ description: 'Per job name: how long its oldest due job has waited' }),
    webhookBatchesFailing: count.meta({ description: "Forecast batches whose pushes to their factory's webhook are failing" }),
    overdueBatches: count.meta({ description: 'Forecast batches published more than a day ago and not acknowledged' }),
    lastHour: z
      .object({
        pledges: count,
        units: count,
        perMinute: z.array(z.object({ minute: z.iso.datetime(), pledges: count, units: count })).meta({
          description: 'Every minute of the last hour, oldest first (the current minute last), zeros included',
        }),
      })
      .meta({ description: 'Pledges and units placed in the last 60 minutes' }),
  })
  .meta({ id: 'ConsoleSummary', description: "The business figures of the operators' front page (the same as the gauges on /metrics)" });

export function toSummaryDto(f: Figures): z.input<typeof ConsoleSummaryDocument> {
  return {
    at: f.at.toISOString(),
    depositsHeld: { pledges: f.depositsHeld.pledges, amount: f.depositsHeld.amount.toFixed(2) },
    balancesOutstanding: { pledges: f.balancesOutstanding.pledges, amount: f.balancesOutstanding.amount.toFixed(2) },
    refunds: f.refunds,
    jobs: f.jobs.map((j) => ({ name: j.name, lagSeconds: Math.round(j.lagMs / 100) / 10 })),
    webhookBatchesFailing: f.webhookBatchesFailing,
    overdueBatches: f.overdueBatches,
    lastHour: {
      pledges: f.lastHour.reduce((n, m) => n + m.pledges, 0),
      units: f.lastHour.reduce((n, m) => n + m.units, 0),
      perMinute: f.lastHour.map((m) => ({ minute: m.minute.toISOString(), pledges: m.pledges, units: m.units })),
    },
  };
}
