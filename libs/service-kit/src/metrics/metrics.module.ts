import { Global, Module } from '@nestjs/common';
import { FlushTracesOnShutdown } from '../tracing/flush-traces';
import { ServiceMetrics } from './service-metrics';

/** One ServiceMetrics per app, injectable everywhere in it; buffered spans flushed at shutdown. */
@Global()
@Module({ providers: [ServiceMetrics, FlushTracesOnShutdown], exports: [ServiceMetrics] })
export class MetricsModule {}
