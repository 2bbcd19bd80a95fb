// `node --require <this file> dist/services/<name>/src/main.js`: starts tracing before the
// service's modules load, so http (Stripe's calls) and pg are instrumented. Does nothing unless
// OTEL_EXPORTER_OTLP_ENDPOINT is set (the service's config validates it at boot).
import { startTracing } from './tracing';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const service = process.env.OTEL_SERVICE_NAME ?? process.env.SERVICE;
if (endpoint && service) {
  const tracing = startTracing({ service, endpoint, autoInstrument: true });
  // Flush what is buffered when the service exits after its shutdown hooks.
  process.once('beforeExit', () => void tracing.shutdown());
}
