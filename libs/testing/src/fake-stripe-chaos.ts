import { IncomingMessage, ServerResponse } from 'node:http';
import { FakeStripePaymentIntent, FakeStripeRefund, FakeStripeTransfer } from './fake-stripe.types';
import { readBody } from './stripe-wire';

/**
 * Failures the fake Stripe injects at random, for the fault harness (chaos/):
 * - `http500`, `http429`: answered without executing (Stripe keeps no idempotent result for them);
 * - `http500-executed`: executed (a transfer is made, its idempotent result stored), then a 500;
 * - `timeout`: not executed, the connection is held `hangMs` then dropped;
 * - `timeout-executed`: executed, then held and dropped: the client never learns the outcome.
 */
export const STRIPE_CHAOS_KINDS = [
  'http500',
  'http500-executed',
  'http429',
  'timeout',
  'timeout-executed',
] as const;
export type StripeChaosKind = (typeof STRIPE_CHAOS_KINDS)[number];

export interface StripeChaosConfig {
  /** Seeds the fake's own PRNG: the same seed and request order give the same faults. */
  seed: number;
  /** Probability per matching request, per kind; their sum must stay at or below 1. */
  rates: Partial<Record<StripeChaosKind, number>>;
  /** How long a timeout holds the connection before dropping it; default 21 s. */
  hangMs?: number;
  /** `METHOD /path` patterns, `*` matching one path segment; default every endpoint. */
  endpoints?: string[];
}

export interface StripeChaosStatus {
  config: StripeChaosConfig | null;
  requestsSeen: number;
  injected: Record<StripeChaosKind, number>;
}

const DEFAULT_HANG_MS = 21_000;
const CHAOS_PATH = '/_chaos';

/** mulberry32: small, seedable, good enough to spread faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseConfig(raw: unknown): StripeChaosConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('expected a JSON object');
  const body = raw as Record<string, unknown>;
  if (typeof body.seed !== 'number' || !Number.isInteger(body.seed)) {
    throw new Error('seed must be an integer');
  }
  const rates: Partial<Record<StripeChaosKind, number>> = {};
  let total = 0;
  for (const [kind, rate] of Object.entries((body.rates ?? {}) as Record<string, unknown>)) {
    if (!(STRIPE_CHAOS_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`unknown fault kind '${kind}'; known: ${STRIPE_CHAOS_KINDS.join(', ')}`);
    }
    if (typeof rate !== 'number' || rate < 0 || rate > 1) {
      throw new Error(`rate of ${kind} must be between 0 and 1`);
    }
    rates[kind as StripeChaosKind] = rate;
    total += rate;
  }
  if (total > 1) throw new Error('the rates add up to more than 1');
  const hangMs = body.hangMs ?? DEFAULT_HANG_MS;
  if (typeof hangMs !== 'number' || !Number.isInteger(hangMs) || hangMs < 0) {
    throw new Error('hangMs must be a non-negative integer');
  }
  const endpoints = body.endpoints;
  if (
    endpoints !== undefined &&
    (!Array.isArray(endpoints) || endpoints.some((e) => typeof e !== 'string'))
  ) {
    throw new Error('endpoints must be a list of "METHOD /path" strings');
  }
  return { seed: body.seed, rates, hangMs, endpoints: endpoints as string[] | undefined };
}

function matches(pattern: string, method: string, path: string): boolean {
  const [patternMethod, patternPath] = pattern.split(' ');
  if (patternMethod !== method || patternPath === undefined) return false;
  const want = patternPath.split('/');
  const got = path.split('/');
  return want.length === got.length && want.every((seg, i) => seg === '*' || seg === got[i]);
}

/**
 * The fake's fault-injection switch, driven over HTTP: `POST /_chaos` with a StripeChaosConfig
 * turns it on, `DELETE /_chaos` off (answering what it injected), `GET /_chaos` reports, and
 * `GET /_chaos/transfers` lists every transfer (the Stripe list endpoint pages by 100) and
 * `GET /_chaos/charges` every payment intent and refund.
 */
/** Every card payment the fake holds, for the fault harness's money invariant. */
export interface FakeStripeCharges {
  paymentIntents: FakeStripePaymentIntent[];
  refunds: FakeStripeRefund[];
}

export class FakeStripeChaos {
  private config: StripeChaosConfig | null = null;
  private random: () => number = () => 1;
  private requestsSeen = 0;
  private injected = this.zeroCounts();
  private readonly hanging = new Set<NodeJS.Timeout>();

  constructor(
    private readonly allTransfers: () => FakeStripeTransfer[],
    private readonly allCharges: () => FakeStripeCharges = () => ({
      paymentIntents: [],
      refunds: [],
    }),
  ) {}

  configure(config: StripeChaosConfig | null): void {
    this.config = config === null ? null : parseConfig(config);
    this.random = this.config === null ? () => 1 : mulberry32(this.config.seed);
    this.requestsSeen = 0;
    this.injected = this.zeroCounts();
  }

  status(): StripeChaosStatus {
    return { config: this.config, requestsSeen: this.requestsSeen, injected: { ...this.injected } };
  }

  /** Serves the request: a control call, a fault, or (through `handle`) the real API. */
  async intercept(
    req: IncomingMessage,
    res: ServerResponse,
    handle: () => Promise<void>,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === CHAOS_PATH || path.startsWith(`${CHAOS_PATH}/`)) {
      return this.control(method, path, req, res);
    }
    const fault = this.decide(method, path);
    if (fault === undefined) return handle();
    if (fault === 'http500-executed' || fault === 'timeout-executed') {
      const deliver = swallowResponse(res);
      await handle();
      deliver();
    } else {
      await readBody(req).catch(() => '');
    }
    this.fail(fault, res);
  }

  /** Drops held connections, so a server can close. */
  stop(): void {
    for (const timer of this.hanging) clearTimeout(timer);
    this.hanging.clear();
  }

  private decide(method: string, path: string): StripeChaosKind | undefined {
    const config = this.config;
    if (config === null) return undefined;
    const endpoints = config.endpoints;
    if (endpoints !== undefined && !endpoints.some((e) => matches(e, method, path))) {
      return undefined;
    }
    this.requestsSeen += 1;
    let roll = this.random();
    for (const kind of STRIPE_CHAOS_KINDS) {
      const rate = config.rates[kind] ?? 0;
      if (roll < rate) {
        this.injected[kind] += 1;
        return kind;
      }
      roll -= rate;
    }
    return undefined;
  }

  private fail(kind: StripeChaosKind, res: ServerResponse): void {
    switch (kind) {
      case 'http500':
      case 'http500-executed':
        return json(res, 500, {
          error: { type: 'api_error', message: 'An unknown error occurred (injected).' },
        });
      case 'http429':
        return json(res, 429, {
          error: {
            type: 'invalid_request_error',
            code: 'rate_limit',
            message: 'Too many requests hit the API too quickly (injected).',
          },
        });
      case 'timeout':
      case 'timeout-executed': {
        const timer = setTimeout(() => {
          this.hanging.delete(timer);
          res.destroy();
        }, this.config?.hangMs ?? DEFAULT_HANG_MS);
        timer.unref();
        this.hanging.add(timer);
        return;
      }
    }
  }

  private async control(
    method: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    try {
      const body = await readBody(req);
      if (path === CHAOS_PATH && method === 'POST') {
        this.configure(parseConfig(JSON.parse(body)));
        return json(res, 200, this.status());
      }
      if (path === CHAOS_PATH && method === 'DELETE') {
        // What was injected until now, then off.
        const before = this.status();
        this.configure(null);
        return json(res, 200, before);
      }
      if (path === CHAOS_PATH && method === 'GET') return json(res, 200, this.status());
      if (path === `${CHAOS_PATH}/transfers` && method === 'GET') {
        return json(res, 200, { data: this.allTransfers() });
      }
      if (path === `${CHAOS_PATH}/charges` && method === 'GET') {
        return json(res, 200, this.allCharges());
      }
      return json(res, 404, { error: { message: `no chaos route ${method} ${path}` } });
    } catch (err) {
      return json(res, 400, {
        error: { message: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  private zeroCounts(): Record<StripeChaosKind, number> {
    return Object.fromEntries(STRIPE_CHAOS_KINDS.map((k) => [k, 0])) as Record<
      StripeChaosKind,
      number
    >;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Lets the real handler run to completion (the transfer is made, its idempotent result stored)
 * while its answer is thrown away; returns a function that restores the response for the fault.
 */
function swallowResponse(res: ServerResponse): () => void {
  const writeHead = res.writeHead;
  const end = res.end;
  const discard = {
    writeHead: () => res,
    end: () => res,
  };
  Object.assign(res, discard);
  return () => Object.assign(res, { writeHead, end });
}
