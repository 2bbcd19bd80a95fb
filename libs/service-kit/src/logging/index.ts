export * from './request-context';
export * from './redact';
export * from './structured-logger';
