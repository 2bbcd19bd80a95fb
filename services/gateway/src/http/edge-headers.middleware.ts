import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a browser may send cross-origin, and read back, besides the CORS-safelisted headers. */
const ALLOWED_HEADERS = 'authorization, content-type, x-request-id, traceparent';
const EXPOSED_HEADERS = 'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** Headers an API answer never needs to be framed, sniffed or leak its URL. */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * CORS for the configured web origins only (credentials are bearer tokens, never cookies, so no
 * Allow-Credentials), preflights answered here, and security headers on every answer.
 */
export class EdgeHeadersMiddleware {
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins);
  }

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    res.removeHeader('x-powered-by');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const origin = req.headers.origin;
    const allowed = typeof origin === 'string' && this.origins.has(origin);
    res.setHeader('vary', 'Origin');
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (allowed) {
        res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
      }
      // An origin not listed gets no CORS headers: the browser refuses the call itself.
      res.statusCode = 204;
      res.end();
      return;
    }
    next();
  }
}
