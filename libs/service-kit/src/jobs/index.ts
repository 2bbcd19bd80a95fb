export * from './interval-job';
export * from './schema-tick-lock';
export * from './job-scheduler';
