import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { type JobDefinition, defineJob } from '../platform/jobs';
import { type ForecastService, PUBLISH_ALL_JOB, PUBLISH_JOB, PUSH_JOB } from './forecast.service';

/**
 * The forecasts module's jobs: every night each factory's forecast is published if anything changed
 * (and at once after a campaign's decision); each new batch is pushed to the factory's webhook, retried
 * with a growing delay until it is taken.
 */
export function forecastJobs(forecasts: ForecastService, options: { webhookRetryBaseMs: number }): JobDefinition<any>[] {
  const retryBase = options.webhookRetryBaseMs;
  return [
    defineJob({
      name: PUBLISH_ALL_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '0 2 * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => forecasts.enqueueDailyPublish(),
    }),
    defineJob({
      name: PUBLISH_JOB,
      payload: z.strictObject({ factoryId: z.string(), trigger: z.enum(['daily', 'campaign_decided', 'operator']) }),
      handle: async ({ factoryId, trigger }) => void (await forecasts.publish(factoryId, trigger)),
    }),
    defineJob({
      name: PUSH_JOB,
      payload: z.strictObject({ batchId: z.string() }),
      maxRetries: 40,
      retryDelayMs: retryBase,
      maxRetryDelayMs: retryBase * 120,
      handle: async ({ batchId }) => forecasts.push(batchId),
    }),
  ];
}
