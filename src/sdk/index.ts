export { CairnClient, type ClientOptions, type MetricPoints, type StreamHandlers } from './client.ts';
export { submitJob, uploadCode, type SubmitOptions, type UploadProgress } from './submit.ts';
export { loadJobFile, parseJobYaml, type LoadedJob } from './job-file.ts';
export * from './errors.ts';
export type { Job, LogLine, JobStatus, Artifact } from '../protocol/job.ts';
export type { CommandJobSpec } from '../protocol/job-spec.ts';
export type { JobTracking, MetricSeries, MetricBuckets } from '../protocol/tracking.ts';
