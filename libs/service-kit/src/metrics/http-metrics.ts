import type { NextFunction, Request, Response } from 'express';
import { ServiceMetrics } from './service-metrics';

/**
 * Times every request by method, route template (`/payouts/:id`, never the raw path, so ids do
 * not explode the series) and status. Unmatched paths count as `unmatched`.
 */
export function httpMetricsMiddleware(metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      end({
        method: req.method,
        route: typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}
