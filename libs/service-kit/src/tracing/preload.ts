// `node --require <this file> dist/services/<name>/src/main.js`: starts tracing before the
// service's modules load, so http (Stripe's calls) and pg are instrumented. Does nothing, and loads
// no OpenTelemetry code, unless OTEL_EXPORTER_OTLP_ENDPOINT is set (the service's config validates
// it at boot). Synchronous on purpose: the SDK must be running before main.js requires anything.
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const service = process.env.OTEL_SERVICE_NAME ?? process.env.SERVICE;
if (endpoint && service) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./tracing') as typeof import('./tracing');
  startTracing({ service, endpoint, autoInstrument: true });
}
