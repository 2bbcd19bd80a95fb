export * from './tracing';
export * from './trace-requests';
export * from './flush-traces';
