import { Logger } from '@nestjs/common';
import {
  GATEWAY_ISSUER,
  INTERNAL_TOKEN_HEADER,
  PlatformError,
  UpstreamCallError,
  UpstreamClient,
  activeTraceparent,
  noteErrorCode,
  requestIdOf,
  InternalTokenSigner,
  rawRequest,
  type CallerIdentity,
  type UpstreamAnswer,
} from '@rewards/service-kit';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { describeError } from '../http/describe-error';
import { clientIp } from '../rate-limit/client-ip';
import type { GatewayConfig } from '../config/gateway.config';
import { isInternalPath, UPSTREAMS, type ProxyRoute, type UpstreamName } from './routes';

export type UpstreamUrls = Record<UpstreamName, string>;

/**
 * What the proxy reads of Fastify's request: the parsed body (and its exact bytes, rawBody), the
 * route's params and the URL as the client sent it. The stream and the socket are Node's own.
 */
export interface ProxiedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  params: unknown;
  body?: unknown;
  rawBody?: Buffer;
  originalUrl: string;
}
export type UpstreamClients = Record<UpstreamName, UpstreamClient>;

export function upstreamUrls(config: GatewayConfig): UpstreamUrls {
  return {
    bookings: config.BOOKINGS_URL,
    referrals: config.REFERRALS_URL,
    wallet: config.WALLET_URL,
    payouts: config.PAYOUTS_URL,
  };
}

/** Each upstream's timeout: its UPSTREAM_TIMEOUTS entry, else UPSTREAM_TIMEOUT_MS. */
function upstreamTimeouts(config: GatewayConfig): Record<UpstreamName, number> {
  const overrides = new Map(
    (config.UPSTREAM_TIMEOUTS ?? '')
      .split(',')
      .filter(Boolean)
      .map((entry) => entry.split('=') as [string, string]),
  );
  return Object.fromEntries(
    UPSTREAMS.map((name) => [name, Number(overrides.get(name) ?? config.UPSTREAM_TIMEOUT_MS)]),
  ) as Record<UpstreamName, number>;
}

/** No answer from this many calls in a row opens an upstream's circuit... */
const CIRCUIT_FAILURE_THRESHOLD = 5;
/** ...for this long: its routes answer 503 at once, then one call tests it. */
const CIRCUIT_OPEN_MS = 5000;

export function upstreamClients(config: GatewayConfig): UpstreamClients {
  const urls = upstreamUrls(config);
  const timeouts = upstreamTimeouts(config);
  return Object.fromEntries(
    UPSTREAMS.map((name) => [
      name,
      new UpstreamClient({
        name,
        baseUrl: urls[name],
        timeoutMs: timeouts[name],
        maxSockets: config.UPSTREAM_MAX_SOCKETS,
        failureThreshold: CIRCUIT_FAILURE_THRESHOLD,
        openMs: CIRCUIT_OPEN_MS,
      }),
    ]),
  ) as UpstreamClients;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const notFound = () => new PlatformError('ROUTE_NOT_FOUND', 'no such route');

function headerValue(req: Pick<ProxiedRequest, 'headers'>, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const MAX_RAW_BODY_BYTES = 100 * 1024;

function hasBody(req: ProxiedRequest): boolean {
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
async function rawBody(req: ProxiedRequest): Promise<Buffer | undefined> {
  if (!hasBody(req)) return undefined;
  if (req.rawBody !== undefined) return req.rawBody;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of rawRequest(req)) {
    size += (chunk as Buffer).length;
    if (size > MAX_RAW_BODY_BYTES) {
      throw new PlatformError('PAYLOAD_TOO_LARGE', 'request body is larger than 100kb');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether the body is JSON (`application/json`, with or without parameters such as charset). */
function isJson(req: ProxiedRequest): boolean {
  const type = headerValue(req, 'content-type');
  return type !== undefined && type.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}

/**
 * The JSON body to forward. The JSON parser (100kb) has already parsed it and the shape check
 * vetted the parsed value, so its exact bytes go on: the upstream parses them with the same
 * parser into the same value, and the gateway skips serializing it again.
 */
function forwardedBody(req: ProxiedRequest): Buffer | string | undefined {
  if (!hasBody(req)) return undefined;
  // Anything else would either be unparsed here or parsed by a parser the upstream does not use.
  if (!isJson(req)) {
    throw new PlatformError('MALFORMED_REQUEST', 'request body must be application/json');
  }
  // An empty body (chunked, no bytes) was parsed as {}: that is what the upstream is sent.
  return req.rawBody !== undefined && req.rawBody.length > 0
    ? req.rawBody
    : JSON.stringify(req.body);
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

/**
 * Calls a route's upstream as the verified caller and relays its answer verbatim. Only an
 * allow-list of headers goes upstream, so client-sent identity headers and Authorization never
 * do; the caller's identity travels in a signed internal token instead.
 */
export class ProxyService {
  private readonly logger = new Logger(ProxyService.name);
  private readonly signer: InternalTokenSigner;

  constructor(
    private readonly clients: UpstreamClients,
    internalAuthKey: string,
    private readonly trustedProxyHops = 0,
  ) {
    this.signer = new InternalTokenSigner(internalAuthKey);
  }

  /** `caller`: who the access check verified; undefined on public routes. */
  async forward(
    route: ProxyRoute,
    req: ProxiedRequest,
    res: ServerResponse,
    caller: CallerIdentity | undefined,
  ): Promise<void> {
    const path = this.targetPath(route, req);
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
      headers['x-forwarded-for'] = clientIp(rawRequest(req), this.trustedProxyHops);
      const proto = headerValue(req, 'x-forwarded-proto');
      const encrypted = (rawRequest(req).socket as Partial<TLSSocket>).encrypted === true;
      headers['x-forwarded-proto'] =
        proto === 'https' || proto === 'http' ? proto : encrypted ? 'https' : 'http';
    }
    // The gateway's request span when tracing, else the client's own trace context.
    const traceparent = activeTraceparent() ?? headerValue(req, 'traceparent');
    if (traceparent !== undefined && TRACEPARENT.test(traceparent)) {
      headers.traceparent = traceparent;
    }
    if (!caller && route.access !== 'public') {
      throw new Error(`${route.method} ${route.path} reached the proxy without a verified caller`);
    }
    // The service believes only this: who the gateway verified, addressed to it, for a minute.
    headers[INTERNAL_TOKEN_HEADER] = this.signer.sign({
      iss: GATEWAY_ISSUER,
      aud: route.upstream,
      ...(caller ? { usr: { id: caller.userId, roles: caller.roles } } : {}),
    });

    let answer: UpstreamAnswer;
    try {
      answer = await this.clients[route.upstream].send({ method: req.method, path, headers, body });
    } catch (err) {
      if (!(err instanceof UpstreamCallError)) throw err;
      this.logger.warn({
        message: 'upstream call failed',
        upstream: route.upstream,
        requestId,
        err: describeError(err),
      });
      throw new PlatformError(
        err.reason === 'timeout' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE',
        err.message,
        undefined,
        err.retryAfterSeconds,
      );
    }
    const status = answer.status;
    const answerType = answer.header('content-type');
    const retryAfter = answer.header('retry-after');
    const relayed: Array<[string, string | string[]]> = [];
    for (const name of route.relayHeaders ?? []) {
      const lower = name.toLowerCase();
      // Each cookie is its own Set-Cookie line; joining them would break their dates.
      const value = lower === 'set-cookie' ? answer.headerValues(lower) : answer.header(lower);
      if (value !== null && value.length > 0) relayed.push([lower, value]);
    }

    // Node's own response, written as it came: a framework's send would add an ETag, answer
    // 304s or guess a content-type.
    res.statusCode = status;
    if (answerType !== null) res.setHeader('content-type', answerType);
    // A 503 (database down) or 429 tells the client when to come back.
    if (retryAfter !== null) res.setHeader('retry-after', retryAfter);
    for (const [name, value] of relayed) res.setHeader(name, value);
    res.setHeader('x-request-id', requestId);
    if (status >= 400) noteErrorCode(res, upstreamErrorCode(answer.body));
    res.end(answer.body);
  }

  private targetPath(route: ProxyRoute, req: ProxiedRequest): string {
    const params = (req.params ?? {}) as Record<string, unknown>;
    const path = route.path.replace(/:(\w+)/g, (_match, name: string) => {
      const value: unknown = params[name];
      // '.' and '..' would be resolved as dot segments and move the call to another path.
      if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
        throw notFound();
      }
      return encodeURIComponent(value);
    });
    const queryStart = req.originalUrl.indexOf('?');
    const query = queryStart === -1 ? '' : req.originalUrl.slice(queryStart);
    if (isInternalPath(path)) throw notFound();
    return `${this.clients[route.upstream].basePath}${path}${query}`;
  }
}
