import { z } from 'zod';
import { page, pageOf, pageQuery } from '../http/paginate';
import { route, type RouteDef } from '../http/routes';
import { idSchema } from '../ids';
import { JOB_STATES, type JobConsole, type JobNameSummary, type JobView } from './job-console';

const JobState = z.enum(JOB_STATES).meta({
  description:
    'running: a worker holds it; cancelled: by an operator; given_up: failed with its attempts used up (or a failure retrying cannot fix), not tried again; failed: its last attempt failed, a retry is scheduled at nextRunAt; due: to run now; scheduled: to run later; completed: it went through',
});

export const JobListQuery = pageQuery.extend({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,199}$/, 'must be a job name such as forecasts.publish')
    .optional(),
  state: JobState.optional(),
});
export const JobParams = z.strictObject({ id: idSchema });
export const RetryJobBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export const CancelJobBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

const Counts = z.object(Object.fromEntries(JOB_STATES.map((s) => [s, z.int()])) as Record<(typeof JOB_STATES)[number], z.ZodInt>);

export const JobSummaryDocument = z
  .object({
    generatedAt: z.iso.datetime(),
    names: z.array(
      z.object({
        name: z.string(),
        recurring: z.boolean(),
        maxAttempts: z.int().meta({ description: 'Attempts a run gets before it is given up (the first and its retries); 0 for a name no longer defined' }),
        counts: Counts,
        oldestDueAt: z.iso
          .datetime()
          .nullable()
          .meta({ description: 'The next run of the job of this name waiting longest for a worker (due now, retries included)' }),
        lagSeconds: z.number().meta({ description: 'How long that job has been waiting; 0 when none is' }),
      }),
    ),
  })
  .meta({ id: 'JobSummary' });

export const JobDocument = z
  .object({
    id: z.string(),
    name: z.string(),
    state: JobState,
    recurring: z.boolean(),
    payload: z.unknown().meta({ description: 'What the job was asked to do (its JSON payload)' }),
    attempts: z.int().meta({ description: 'Failed attempts in a row (0 after a run goes through, or after a retry by an operator)' }),
    maxAttempts: z.int(),
    lastError: z.string().nullable().meta({ description: 'The error of its last failed attempt (kept after a later run went through)' }),
    failedAt: z.iso.datetime().nullable(),
    nextRunAt: z.iso.datetime().nullable(),
    lastRunAt: z.iso.datetime().nullable(),
    lastFinishedAt: z.iso.datetime().nullable(),
    lockedAt: z.iso.datetime().nullable().meta({ description: 'When a worker claimed it (or last renewed its lock), while running' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Job' });

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toJobDto({ row, state, recurring, maxAttempts }: JobView): z.output<typeof JobDocument> {
  return {
    id: row.id,
    name: row.name,
    state,
    recurring,
    payload: row.data,
    attempts: row.failCount,
    maxAttempts,
    lastError: row.failReason,
    failedAt: iso(row.failedAt),
    nextRunAt: iso(row.nextRunAt),
    lastRunAt: iso(row.lastRunAt),
    lastFinishedAt: iso(row.lastFinishedAt),
    lockedAt: iso(row.lockedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

function toSummaryDto(names: JobNameSummary[], at: Date): z.output<typeof JobSummaryDocument> {
  return {
    generatedAt: at.toISOString(),
    names: names.map((n) => ({
      name: n.name,
      recurring: n.recurring,
      maxAttempts: n.maxAttempts,
      counts: n.counts,
      oldestDueAt: iso(n.oldestDueAt),
      lagSeconds: Math.round(n.lagMs / 100) / 10,
    })),
  };
}

/** The operators' view of the jobs table (the console's 任务 page): counts and lag per name, the jobs, retry and cancel. */
export function jobRoutes(jobConsole: JobConsole): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/jobs/summary',
      summary: 'Per job name: due, scheduled, running, failed, given-up, cancelled and completed jobs, and the lag of the oldest due one (operators)',
      access: ['operator'],
      response: JobSummaryDocument,
      doc: { answer: 'Every defined job name (and any other name in the table), with its counts' },
      handle: async () => {
        const at = new Date();
        return toSummaryDto(await jobConsole.summary(), at);
      },
    }),
    route({
      method: 'get',
      path: '/v1/jobs',
      summary: 'Jobs by name and state, with their last error, attempts and next run (operators)',
      access: ['operator'],
      query: JobListQuery,
      response: pageOf(JobDocument),
      doc: {
        description: 'The backlog (due, scheduled, failed) oldest next run first; given-up jobs most recent failure first; running jobs longest running first.',
        answer: 'A page of jobs',
      },
      handle: async ({ query }) => {
        const { items, total } = await jobConsole.list(query);
        return page(items.map(toJobDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/jobs/:id',
      summary: 'A job (operators)',
      access: ['operator'],
      params: JobParams,
      response: JobDocument,
      doc: { answer: 'The job' },
      handle: async ({ params }) => toJobDto(await jobConsole.get(params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/jobs/:id/retry',
      summary: 'Run a failed, given-up or cancelled job again now, with its attempts from the start (operators)',
      access: ['operator'],
      params: JobParams,
      body: RetryJobBody,
      response: JobDocument,
      doc: {
        description: 'The job becomes due now; a worker takes it at its next poll. `reason` is recorded in the audit log.',
        answer: 'The job, due',
        problems: { 409: '`job_running`: a worker is running it; `job_not_failed`: it has not failed (it runs on its own)' },
      },
      handle: async ({ params }) => toJobDto(await jobConsole.retry(params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/jobs/:id/cancel',
      summary: 'Cancel a job that is due, scheduled, waiting for a retry or given up: no worker takes it any more (operators)',
      access: ['operator'],
      params: JobParams,
      body: CancelJobBody,
      response: JobDocument,
      doc: {
        description:
          'The row stays, as `cancelled` (retry brings it back). Cancelling a cancelled job changes nothing. `reason` (why) is recorded in the audit log.',
        answer: 'The job, cancelled',
        problems: {
          409: '`job_running`: a worker is running it (wait for its outcome); `job_finished`: it has run already; `job_recurring`: a recurring job is declared again by every worker at start-up',
        },
      },
      handle: async ({ params }) => toJobDto(await jobConsole.cancel(params.id)),
    }),
  ];
}
