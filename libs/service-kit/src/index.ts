export * from './config';
export * from './clock';
export * from './database';
export * from './errors';
export * from './validation';
export * from './caller';
export * from './health';
export * from './bootstrap';
