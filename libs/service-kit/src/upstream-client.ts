import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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
  /** The socket error behind `unreachable` (ECONNRESET, ECONNREFUSED, ...), for the logs. */
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
 */
export class UpstreamClient {
  private readonly agent: HttpAgent;
  private readonly base: URL;
  private failures = 0;
  private openUntilMs = 0;
  private probing = false;

  constructor(private readonly options: UpstreamClientOptions) {
    this.base = new URL(options.baseUrl);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      timeout: IDLE_SOCKET_MS,
    };
    this.agent =
      this.base.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
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
    try {
      const answer = await this.attempt(call, true);
      this.failures = 0;
      this.openUntilMs = 0;
      return answer;
    } catch (err) {
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
    this.agent.destroy();
  }

  private attempt(call: UpstreamCall, mayRetry: boolean): Promise<UpstreamAnswer> {
    return new Promise<UpstreamAnswer>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers =
        call.body === undefined
          ? call.headers
          : { ...call.headers, 'content-length': String(Buffer.byteLength(call.body)) };
      const req = send({
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        method: call.method,
        path: call.path,
        headers,
        agent: this.agent,
      });
      const timer = setTimeout(() => {
        const err = new UpstreamCallError(
          'timeout',
          `${this.options.name} did not answer within ${this.options.timeoutMs} ms`,
        );
        settle(() => reject(err));
        req.destroy(err);
      }, this.options.timeoutMs);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => settle(() => reject(unreachable(this.options.name, err))));
        res.on('end', () =>
          settle(() =>
            resolve({
              status: res.statusCode ?? 502,
              header: (name) => {
                const value = res.headers[name.toLowerCase()];
                if (Array.isArray(value)) return value[0] ?? null;
                return typeof value === 'string' ? value : null;
              },
              headerValues: (name) => {
                const value = res.headers[name.toLowerCase()];
                if (Array.isArray(value)) return value;
                return typeof value === 'string' ? [value] : [];
              },
              body: Buffer.concat(chunks),
            }),
          ),
        );
      });
      req.on('error', (err) => {
        // A kept-alive socket the upstream had just closed: an idempotent call is sent again.
        const idempotent =
          this.options.callsAreIdempotent === true ||
          call.method === 'GET' ||
          call.method === 'HEAD';
        if (!settled && mayRetry && idempotent && req.reusedSocket && isReset(err)) {
          settled = true;
          clearTimeout(timer);
          this.attempt(call, false).then(resolve, reject);
          return;
        }
        settle(() => reject(unreachable(this.options.name, err)));
      });
      req.end(call.body);
    });
  }
}

const unreachable = (name: string, cause: unknown) =>
  new UpstreamCallError('unreachable', `${name} is unavailable`, undefined, { cause });

const isReset = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ECONNRESET';
