export * from './errors.ts';
export * from './paths.ts';
export * from './snapshot.ts';
export * from './job-spec.ts';
export * from './job.ts';
export * from './agent.ts';
export * from './routes.ts';
export * from './tracking.ts';
