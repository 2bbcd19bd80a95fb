export * from './service-metrics';
export * from './metrics.module';
export * from './http-metrics';
export * from './messaging-gauges';
