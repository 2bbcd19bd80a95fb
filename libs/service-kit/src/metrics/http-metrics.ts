import type { IncomingMessage, ServerResponse } from 'node:http';
import { rawResponse, routeTemplateOf } from '../http-platform';
import { ServiceMetrics } from './service-metrics';

// The stable code of each error answer, noted by whoever wrote it, read when it is finished.
const errorCodes = new WeakMap<ServerResponse, string>();
// Stable machine codes (VALIDATION_FAILED, QUOTE_EXPIRED...): anything else would be unbounded.
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * Records the stable code of the error a response carries, for the refusal counter: the error
 * filter calls it, and the gateway for an upstream's refusal it relays.
 */
export function noteErrorCode(res: object, code: string | undefined): void {
  errorCodes.set(rawResponse(res), code === undefined ? 'none' : CODE.test(code) ? code : 'other');
}

/**
 * Times every request by method, route template (`/payouts/:id`, never the raw path, so ids do
 * not explode the series) and status, and counts every error answer (4xx, 5xx) by route, status
 * and error code. Unmatched paths count as `unmatched`.
 */
export function httpMetricsMiddleware(metrics: ServiceMetrics) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = routeTemplateOf(req) ?? 'unmatched';
      const status = String(res.statusCode);
      end({ method: req.method ?? 'GET', route, status });
      if (res.statusCode >= 400) metrics.refused(route, status, errorCodes.get(res) ?? 'none');
    });
    next();
  };
}
