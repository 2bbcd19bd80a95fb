import type { NextFunction, Request, Response } from 'express';
import { ServiceMetrics } from './service-metrics';

const ERROR_CODE = 'errorCode';
// Stable machine codes (VALIDATION_FAILED, QUOTE_EXPIRED...): anything else would be unbounded.
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * Records the stable code of the error a response carries, for the refusal counter: the error
 * filter calls it, and the gateway for an upstream's refusal it relays.
 */
export function noteErrorCode(res: Response, code: string | undefined): void {
  res.locals[ERROR_CODE] = code === undefined ? 'none' : CODE.test(code) ? code : 'other';
}

/**
 * Times every request by method, route template (`/payouts/:id`, never the raw path, so ids do
 * not explode the series) and status, and counts every error answer (4xx, 5xx) by route, status
 * and error code. Unmatched paths count as `unmatched`.
 */
export function httpMetricsMiddleware(metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
      const status = String(res.statusCode);
      end({ method: req.method, route, status });
      if (res.statusCode >= 400) {
        const code: unknown = res.locals[ERROR_CODE];
        metrics.refused(route, status, typeof code === 'string' ? code : 'none');
      }
    });
    next();
  };
}
