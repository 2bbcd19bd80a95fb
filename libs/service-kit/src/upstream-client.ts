import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { startClientSpan } from './tracing/client-span';

export interface UpstreamCall {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface UpstreamAnswer {
  status: number;
  /** A single-valued header (the first line when several came). */
  header(name: string): string | null;
  /** Every line of a header that may repeat, such as Set-Cookie. */
  headerValues(name: string): string[];
  body: Buffer;
}

/** Why a call got no answer: `timeout` (504), `unreachable` or `circuit-open` (503). */
export class UpstreamCallError extends Error {
  /** The error code behind `unreachable` (ECONNREFUSED, UND_ERR_SOCKET, ...), for the logs. */
  get causeCode(): string | undefined {
    const code = (this.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  }

  constructor(
    readonly reason: 'timeout' | 'unreachable' | 'circuit-open',
    message: string,
    /** For circuit-open: seconds until a call is tried again. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamCallError';
  }
}

export interface UpstreamClientOptions {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  /** Connections kept per upstream; requests beyond it queue. */
  maxSockets: number;
  /** Consecutive failures (no answer) that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit answers 503 at once, before one call is let through. */
  openMs: number;
  /**
   * Every call may be sent twice (each carries its own idempotency reference), so any call that
   * met a kept-alive socket the upstream had just closed is sent again, not only GET and HEAD.
   */
  callsAreIdempotent?: boolean;
  nowMs?: () => number;
}

// Under the services' 5 s keep-alive, so the gateway drops an idle connection before they do.
const IDLE_SOCKET_MS = 4000;

/**
 * A service's client for another HTTP service (the gateway's upstreams, bookings' calls to the
 * wallet). One upstream's connection pool (keep-alive), its timeout, and a circuit breaker: after
 * `failureThreshold` calls in a row got no answer, its routes answer 503 at once for `openMs`
 * instead of each waiting out the timeout; then one call tests it. Other upstreams are unaffected.
 * The pool is undici's: a proxied request cost the gateway about 40 % less CPU than on node:http's
 * request and Agent (bench/README.md, gateway-overhead).
 */
export class UpstreamClient {
  private readonly pool: Pool;
  private readonly base: URL;
  private failures = 0;
  private openUntilMs = 0;
  private probing = false;

  constructor(private readonly options: UpstreamClientOptions) {
    this.base = new URL(options.baseUrl);
    this.pool = new Pool(this.base.origin, {
      connections: options.maxSockets,
      keepAliveTimeout: IDLE_SOCKET_MS,
      keepAliveMaxTimeout: IDLE_SOCKET_MS,
      // The call's own timer bounds it as a whole (timeoutMs), headers and body alike.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /** The origin and base path calls go to, e.g. for building the request path. */
  get basePath(): string {
    return this.base.pathname.replace(/\/+$/, '');
  }

  async send(call: UpstreamCall): Promise<UpstreamAnswer> {
    const now = (this.options.nowMs ?? Date.now)();
    if (now < this.openUntilMs || this.probing) {
      throw new UpstreamCallError(
        'circuit-open',
        `${this.options.name} is unavailable`,
        Math.max(1, Math.ceil((this.openUntilMs - now) / 1000)),
      );
    }
    // The first call after the circuit opened is the probe; others still fail fast meanwhile.
    const probe = this.openUntilMs !== 0;
    if (probe) this.probing = true;
    const span = startClientSpan(call.method, this.base, call.path, call.headers);
    try {
      const answer = await this.attempt(span ? { ...call, headers: span.headers } : call, true);
      span?.end({ status: answer.status });
      this.failures = 0;
      this.openUntilMs = 0;
      return answer;
    } catch (err) {
      span?.end({ error: err });
      this.failures += 1;
      if (probe || this.failures >= this.options.failureThreshold) {
        this.openUntilMs = (this.options.nowMs ?? Date.now)() + this.options.openMs;
      }
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  close(): void {
    this.pool.destroy().catch(() => undefined);
  }

  private attempt(call: UpstreamCall, mayRetry: boolean): Promise<UpstreamAnswer> {
    return new Promise<UpstreamAnswer>((resolve, reject) => {
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 502;
      let headers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        const err = new UpstreamCallError(
          'timeout',
          `${this.options.name} did not answer within ${this.options.timeoutMs} ms`,
        );
        settle(() => reject(err));
        controller?.abort(err);
      }, this.options.timeoutMs);
      // undici's callbacks rather than its promise API: no stream and no promise per call.
      this.pool.dispatch(
        { method: call.method, path: call.path, headers: call.headers, body: call.body ?? null },
        {
          onRequestStart: (started) => {
            controller = started;
            // Timed out while queued for a connection: never sent at all.
            if (settled) started.abort(new Error('the call was already given up'));
          },
          onResponseStart: (_c, statusCode, responseHeaders) => {
            status = statusCode;
            headers = responseHeaders;
          },
          onResponseData: (_c, chunk) => {
            chunks.push(chunk);
          },
          onResponseEnd: () =>
            settle(() => resolve(answerOf(status, headers, Buffer.concat(chunks)))),
          onResponseError: (_c, err) => {
            // A connection the upstream closed under the call (typically a kept-alive one it had
            // just dropped): an idempotent call that got no answer yet is sent again, once.
            const idempotent =
              this.options.callsAreIdempotent === true ||
              call.method === 'GET' ||
              call.method === 'HEAD';
            if (!settled && mayRetry && idempotent && chunks.length === 0 && isClosed(err)) {
              settled = true;
              clearTimeout(timer);
              this.attempt(call, false).then(resolve, reject);
              return;
            }
            settle(() => reject(unreachable(this.options.name, err)));
          },
        },
      );
    });
  }
}

function answerOf(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamAnswer {
  return {
    status,
    header: (name) => {
      const value = headers[name.toLowerCase()];
      if (Array.isArray(value)) return value[0] ?? null;
      return typeof value === 'string' ? value : null;
    },
    headerValues: (name) => {
      const value = headers[name.toLowerCase()];
      if (Array.isArray(value)) return value;
      return typeof value === 'string' ? [value] : [];
    },
    body,
  };
}

const unreachable = (name: string, cause: unknown) =>
  new UpstreamCallError('unreachable', `${name} is unavailable`, undefined, { cause });

/** The connection closed or reset under the call (undici's SocketError, or the socket's own). */
const isClosed = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
};
