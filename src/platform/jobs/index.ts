export { Jobs, PermanentJobError, defineJob, type EnqueueOptions, type JobDefinition } from './jobs';
export { JobRow } from './job.entity';
export { JOB_STATES, JobConsole, type JobNameSummary, type JobState } from './job-console';
export { jobRoutes } from './job.routes';
