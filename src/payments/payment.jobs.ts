import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { type JobDefinition, defineJob } from '../platform/jobs';
import { type PaymentService, SANDBOX_CONFIRM_JOB, SEND_REFUND_JOB } from './payment.service';
import type { PaymentReconciliation } from './reconciliation';

export const QUERY_OPEN_JOB = 'payments.query-open';
export const COMPARE_STATEMENTS_JOB = 'payments.compare-statements';

/**
 * The payments module's jobs: refunds are sent until the gateway takes them; sandbox payments are
 * confirmed (demo, benchmarks); every minute, payments and refunds still open are asked about at their
 * providers; every morning, each provider's statement of the day before is compared with our records.
 */
export function paymentJobs(payments: PaymentService, reconciliation: PaymentReconciliation): JobDefinition<any>[] {
  return [
    defineJob({
      name: QUERY_OPEN_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '* * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      // The next run is a minute away: a failed one is not retried.
      maxRetries: 0,
      handle: async () => void (await reconciliation.queryOpen()),
    }),
    defineJob({
      name: COMPARE_STATEMENTS_JOB,
      payload: z.strictObject({}),
      // WeChat Pay's and Alipay's bills of a day are ready from about 10:00 the next day (China time).
      schedule: { cron: '30 10 * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      maxRetries: 5,
      retryDelayMs: 10 * 60_000,
      handle: async () => void (await reconciliation.compareYesterday()),
    }),
    defineJob({
      name: SEND_REFUND_JOB,
      payload: z.strictObject({ refundId: z.string() }),
      // A refund is retried until the gateway accepts it: the consumer's money must come back.
      maxRetries: 50,
      handle: async ({ refundId }) => {
        const [error] = await payments.sendRefunds([refundId]);
        if (error) throw error;
      },
      // A failed campaign's thousands of refunds: a hundred per run, their outcomes recorded in one transaction.
      batch: { size: 100, handle: async (payloads) => payments.sendRefunds(payloads.map((p) => p.refundId)) },
      purgeFinished: true,
    }),
    defineJob({
      name: SANDBOX_CONFIRM_JOB,
      payload: z.strictObject({ paymentId: z.string() }),
      maxRetries: 10,
      handle: async ({ paymentId }) => {
        const [error] = await payments.autoConfirmPending([paymentId]);
        if (error) throw error;
      },
      batch: { size: 100, handle: async (payloads) => payments.autoConfirmPending(payloads.map((p) => p.paymentId)) },
      purgeFinished: true,
    }),
  ];
}
