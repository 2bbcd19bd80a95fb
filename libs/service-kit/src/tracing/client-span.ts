import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracesServiceCalls } from './tracing';

export interface ClientSpan {
  /** The call's headers plus the span's trace context, so the callee's span is its child. */
  headers: Record<string, string>;
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * A CLIENT span around one call to another service, as the http instrumentation gave calls made
 * with node:http (undici's are not instrumented). Undefined unless tracing instruments calls (a
 * service's preload does; tests do not): the call then carries the trace context its caller put
 * in its headers.
 */
export function startClientSpan(
  method: string,
  origin: URL,
  path: string,
  headers: Record<string, string>,
): ClientSpan | undefined {
  if (!tracesServiceCalls()) return undefined;
  const query = path.indexOf('?');
  const span = trace.getTracer('rewards-http').startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'server.address': origin.hostname,
      'server.port': Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
      // The path only: a query string may carry tokens.
      'url.path': query === -1 ? path : path.slice(0, query),
    },
  });
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return {
    headers: carrier,
    end(outcome) {
      if ('status' in outcome) {
        span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(outcome.error) });
      }
      span.end();
    },
  };
}
