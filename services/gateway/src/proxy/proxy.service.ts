import { Logger } from '@nestjs/common';
import {
  GATEWAY_ISSUER,
  INTERNAL_TOKEN_HEADER,
  PlatformError,
  activeTraceparent,
  requestIdOf,
  signInternalToken,
} from '@rewards/service-kit';
import type { Request, Response } from 'express';
import { verifiedCaller } from '../auth/access.guard';
import { describeError } from '../http/describe-error';
import { clientIp } from '../rate-limit/client-ip';
import type { GatewayConfig } from '../config/gateway.config';
import { isInternalPath, type ProxyRoute, type UpstreamName } from './routes';

export type UpstreamUrls = Record<UpstreamName, string>;

export function upstreamUrls(config: GatewayConfig): UpstreamUrls {
  return {
    bookings: config.BOOKINGS_URL,
    referrals: config.REFERRALS_URL,
    wallet: config.WALLET_URL,
    payouts: config.PAYOUTS_URL,
  };
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const notFound = () => new PlatformError('ROUTE_NOT_FOUND', 'no such route');

function headerValue(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const MAX_RAW_BODY_BYTES = 100 * 1024;

function hasBody(req: Request): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const contentLength = headerValue(req, 'content-length');
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (contentLength !== undefined && contentLength !== '0')
  );
}

/**
 * The exact bytes of the body: kept by the JSON parser (rawBody) when it read them, else read
 * here from the stream no parser touched. Never re-serialized, so a signature over them holds.
 */
async function rawBody(req: Request & { rawBody?: Buffer }): Promise<Buffer | undefined> {
  if (!hasBody(req)) return undefined;
  if (req.rawBody !== undefined) return req.rawBody;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_RAW_BODY_BYTES) {
      throw new PlatformError('PAYLOAD_TOO_LARGE', 'request body is larger than 100kb');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The JSON body to forward. express.json (100kb) has already parsed and vetted it. */
function forwardedBody(req: Request): string | undefined {
  if (!hasBody(req)) return undefined;
  // Anything else would either be unparsed here or parsed by a parser the upstream does not use.
  if (!req.is('application/json')) {
    throw new PlatformError('MALFORMED_REQUEST', 'request body must be application/json');
  }
  return JSON.stringify(req.body);
}

// Duck-typed: fetch's errors (DOMException, undici's TypeError) may come from another realm.
const errorName = (err: unknown): unknown =>
  typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;

/**
 * Calls a route's upstream as the verified caller and relays its answer verbatim. Only an
 * allow-list of headers goes upstream, so client-sent identity headers and Authorization never
 * do; the caller's identity travels in a signed internal token instead.
 */
export class ProxyService {
  private readonly logger = new Logger(ProxyService.name);

  constructor(
    private readonly upstreams: UpstreamUrls,
    private readonly timeoutMs: number,
    private readonly internalAuthKey: string,
    private readonly trustedProxyHops = 0,
  ) {}

  async forward(route: ProxyRoute, req: Request, res: Response): Promise<void> {
    const url = this.targetUrl(route, req);
    const body = route.body === 'raw' ? await rawBody(req) : forwardedBody(req);
    const requestId = requestIdOf(req);
    const headers: Record<string, string> = { 'x-request-id': requestId };
    for (const name of route.forwardHeaders ?? []) {
      const value = headerValue(req, name.toLowerCase());
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    const contentType = headerValue(req, 'content-type');
    if (body !== undefined && contentType !== undefined) headers['content-type'] = contentType;
    if (route.forwardClient) {
      // The address the trusted proxies saw, never an entry the client wrote itself.
      headers['x-forwarded-for'] = clientIp(req, this.trustedProxyHops);
      const proto = headerValue(req, 'x-forwarded-proto');
      headers['x-forwarded-proto'] = proto === 'https' || proto === 'http' ? proto : req.protocol;
    }
    // The gateway's request span when tracing, else the client's own trace context.
    const traceparent = activeTraceparent() ?? headerValue(req, 'traceparent');
    if (traceparent !== undefined && TRACEPARENT.test(traceparent)) {
      headers.traceparent = traceparent;
    }
    const caller = verifiedCaller(req);
    if (!caller && route.access !== 'public') {
      throw new Error(`${route.method} ${route.path} reached the proxy without a verified caller`);
    }
    // The service believes only this: who the gateway verified, addressed to it, for a minute.
    headers[INTERNAL_TOKEN_HEADER] = signInternalToken(
      {
        iss: GATEWAY_ISSUER,
        aud: route.upstream,
        ...(caller ? { usr: { id: caller.userId, roles: caller.roles } } : {}),
      },
      this.internalAuthKey,
    );

    let status: number;
    let answerType: string | null;
    let retryAfter: string | null;
    let answer: Buffer;
    const relayed: Array<[string, string | string[]]> = [];
    try {
      const upstream = await fetch(url, {
        method: req.method,
        headers,
        body,
        // A redirect is the client's to follow, not the gateway's.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = upstream.status;
      answerType = upstream.headers.get('content-type');
      retryAfter = upstream.headers.get('retry-after');
      for (const name of route.relayHeaders ?? []) {
        const lower = name.toLowerCase();
        if (lower === 'set-cookie') {
          const cookies = upstream.headers.getSetCookie();
          if (cookies.length > 0) relayed.push([lower, cookies]);
        } else {
          const value = upstream.headers.get(lower);
          if (value !== null) relayed.push([lower, value]);
        }
      }
      answer = Buffer.from(await upstream.arrayBuffer());
    } catch (err) {
      const timedOut = errorName(err) === 'TimeoutError';
      this.logger.warn({
        message: 'upstream call failed',
        upstream: route.upstream,
        requestId,
        err: describeError(err),
      });
      throw new PlatformError(
        'UPSTREAM_UNAVAILABLE',
        timedOut
          ? `${route.upstream} did not answer within ${this.timeoutMs} ms`
          : `${route.upstream} is unavailable`,
      );
    }

    // res.end rather than res.send: send would add an ETag, answer 304s and guess a content-type.
    res.status(status);
    if (answerType !== null) res.setHeader('content-type', answerType);
    // A 503 (database down) or 429 tells the client when to come back.
    if (retryAfter !== null) res.setHeader('retry-after', retryAfter);
    for (const [name, value] of relayed) res.setHeader(name, value);
    res.setHeader('x-request-id', requestId);
    res.end(answer);
  }

  private targetUrl(route: ProxyRoute, req: Request): URL {
    const path = route.path.replace(/:(\w+)/g, (_match, name: string) => {
      const value: unknown = req.params[name];
      // '.' and '..' would be resolved as dot segments and move the call to another path.
      if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
        throw notFound();
      }
      return encodeURIComponent(value);
    });
    const queryStart = req.originalUrl.indexOf('?');
    const query = queryStart === -1 ? '' : req.originalUrl.slice(queryStart);
    const url = new URL(`${this.upstreams[route.upstream].replace(/\/+$/, '')}${path}${query}`);
    if (isInternalPath(url.pathname)) throw notFound();
    return url;
  }
}
