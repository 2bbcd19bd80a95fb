import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf, routeTemplateOf } from '../http-platform';
import { currentRequestId, withRequestId } from '../logging/request-context';
import { activeTracing } from './tracing';

/** Span attribute naming the service that made a span (one process may host several in tests). */
export const SERVICE_ATTRIBUTE = 'rewards.service';

/**
 * One SERVER span per request, continuing the caller's trace (W3C `traceparent`) and named after
 * the route template once it is known. The request's handlers run inside it, so outgoing calls,
 * queries and outbox events join the same trace. While tracing is off and debug logs are not
 * written, it does nothing at all: on the gateway's hot path the span bookkeeping and the access
 * line built for nobody were a measurable share of a proxied request.
 */
export function traceRequests(
  service: string,
  /** Whether the access line is wanted: false unless debug logs are written. */
  options: { accessLog?: boolean } = {},
) {
  const accessLog = options.accessLog ?? true;
  const tracer = trace.getTracer('rewards-http');
  const logger = new Logger('Http');
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (!accessLog && activeTracing() === undefined) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [SERVICE_ATTRIBUTE]: service,
          'http.request.method': method,
          // The path only: a query string may carry tokens.
          'url.path': pathOf(req),
        },
      },
      parent,
    );
    const started = performance.now();
    const requestId = currentRequestId();
    res.once('finish', () => {
      const route = routeTemplateOf(req);
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      // One access line per request (debug), in the request's trace and with its id.
      if (!accessLog) return;
      context.with(trace.setSpan(parent, span), () =>
        withRequestId(requestId, () =>
          logger.debug({
            message: 'request served',
            method,
            route: route ?? 'unmatched',
            status: res.statusCode,
            durationMs: Math.round(performance.now() - started),
          }),
        ),
      );
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** The W3C traceparent of the active span, to hand to work that continues it elsewhere. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
