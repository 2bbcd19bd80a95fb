import { Global, Module } from '@nestjs/common';
import { ServiceMetrics } from './service-metrics';

/** One ServiceMetrics per app, injectable everywhere in it. */
@Global()
@Module({ providers: [ServiceMetrics], exports: [ServiceMetrics] })
export class MetricsModule {}
