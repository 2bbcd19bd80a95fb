import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { activeTracing } from './tracing';

/** Exports the spans still buffered when the app shuts down (the process exits right after). */
@Injectable()
export class FlushTracesOnShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await activeTracing()?.flush();
  }
}
