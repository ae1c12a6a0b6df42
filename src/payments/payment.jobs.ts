import { z } from 'zod';
import { type JobDefinition, defineJob } from '../platform/jobs';
import { type PaymentService, SANDBOX_CONFIRM_JOB, SEND_REFUND_JOB } from './payment.service';

/** The payments module's jobs: refunds are sent until the gateway takes them; sandbox payments are confirmed (demo, benchmarks). */
export function paymentJobs(payments: PaymentService): JobDefinition<any>[] {
  return [
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
    }),
  ];
}
