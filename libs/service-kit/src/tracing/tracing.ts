import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OtlpJsonTraceExporter } from './otlp-json-exporter';
import { context, propagation, trace } from '@opentelemetry/api';

export interface TracingOptions {
  /** service.name of every span this process exports. */
  service: string;
  /** OTLP/HTTP base URL, e.g. http://otel-collector:4318 (spans go to <url>/v1/traces). */
  endpoint: string;
  /**
   * Patch http and pg as they are loaded: what a service process wants (start
   * before the app's modules load: see preload.ts). Off in tests, where Jest loads modules itself.
   */
  autoInstrument: boolean;
}

export interface RunningTracing {
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK: W3C trace context propagation, the async-hooks context
 * manager (so a span follows a request through awaits), batched OTLP/HTTP export. The messaging
 * library adds producer and consumer spans and carries the context in the outbox row and the Kafka
 * headers; the HTTP layer adds a server span per request (service-kit's traceRequests).
 */
let active: RunningTracing | undefined;

/** The tracing this process started (the preload's, in a service), if any. */
export function activeTracing(): RunningTracing | undefined {
  return active;
}

let instrumented = false;

/** Whether calls to other services get a CLIENT span: when tracing instruments calls at all. */
export function tracesServiceCalls(): boolean {
  return active !== undefined && instrumented;
}

export function startTracing(options: TracingOptions): RunningTracing {
  const exporter = new OtlpJsonTraceExporter(options.endpoint);
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    spanProcessors: [processor],
    instrumentations: options.autoInstrument
      ? [
          // Server spans come from traceRequests (route templates as names), and calls between
          // services from UpstreamClient (client-span.ts: undici is not instrumented); this adds
          // Stripe's calls (node http) and the queries under each span.
          new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
          new PgInstrumentation({ enhancedDatabaseReporting: false }),
        ]
      : [],
  });
  sdk.start();
  instrumented = options.autoInstrument;
  active = {
    flush: () => processor.forceFlush(),
    shutdown: async () => {
      active = undefined;
      await sdk.shutdown();
      // Leaves the process as it was (tests start and stop tracing within one process).
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  return active;
}
