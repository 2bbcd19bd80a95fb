import { Logger } from '@nestjs/common';
import {
  CALLER_ID_HEADER,
  CALLER_ROLES_HEADER,
  PlatformError,
  activeTraceparent,
  noteErrorCode,
} from '@rewards/service-kit';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { verifiedCaller } from '../auth/access.guard';
import { describeError } from '../http/describe-error';
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

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const notFound = () => new PlatformError('ROUTE_NOT_FOUND', 'no such route');

function headerValue(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The client's request id when it is a sane token, so one id follows the call; else a new one. */
function requestIdOf(req: Request): string {
  const sent = headerValue(req, 'x-request-id');
  return sent !== undefined && REQUEST_ID.test(sent) ? sent : randomUUID();
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
      throw new PlatformError('MALFORMED_REQUEST', 'request body is larger than 100kb');
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

/** The stable code of an upstream's error body (`{"error":{"code":...}}`), for the metrics. */
function upstreamErrorCode(answer: Buffer): string | undefined {
  try {
    const code: unknown = (JSON.parse(answer.toString('utf8')) as { error?: { code?: unknown } })
      ?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

// Duck-typed: fetch's errors (DOMException, undici's TypeError) may come from another realm.
const errorName = (err: unknown): unknown =>
  typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;

/**
 * Calls a route's upstream as the verified caller and relays its answer verbatim. Only an
 * allow-list of headers goes upstream, so client-sent x-user-* and Authorization never do.
 */
export class ProxyService {
  private readonly logger = new Logger(ProxyService.name);

  constructor(
    private readonly upstreams: UpstreamUrls,
    private readonly timeoutMs: number,
    private readonly trustForwardedFor = false,
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
      const forwarded = headerValue(req, 'x-forwarded-for')?.split(',')[0].trim();
      const ip = this.trustForwardedFor && forwarded ? forwarded : req.socket.remoteAddress;
      if (ip !== undefined) headers['x-forwarded-for'] = ip;
      const proto = headerValue(req, 'x-forwarded-proto');
      headers['x-forwarded-proto'] = proto === 'https' || proto === 'http' ? proto : req.protocol;
    }
    // The gateway's request span when tracing, else the client's own trace context.
    const traceparent = activeTraceparent() ?? headerValue(req, 'traceparent');
    if (traceparent !== undefined && TRACEPARENT.test(traceparent)) {
      headers.traceparent = traceparent;
    }
    const caller = verifiedCaller(req);
    if (caller) {
      headers[CALLER_ID_HEADER] = caller.userId;
      headers[CALLER_ROLES_HEADER] = caller.roles.join(',');
    } else if (route.access !== 'public') {
      throw new Error(`${route.method} ${route.path} reached the proxy without a verified caller`);
    }

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
    if (status >= 400) noteErrorCode(res, upstreamErrorCode(answer));
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
