export { Jobs, PermanentJobError, defineJob, type EnqueueOptions, type JobDefinition } from './jobs';
export { JobRow } from './job.entity';
