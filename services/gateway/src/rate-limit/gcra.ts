/** A route's limit: `limit` requests per `perSeconds`, as a burst or spread out. */
export interface RateLimitPolicy {
  limit: number;
  perSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests still allowed right now. */
  remaining: number;
  /** When refused: how long until one request is allowed again. */
  retryAfterMs: number;
}

/**
 * The generic cell rate algorithm: each key keeps one number, its theoretical arrival time
 * (tat). A full bucket allows `limit` requests at once, then one per `perSeconds / limit`; no
 * window boundary lets a client double its rate. Returns the decision and the tat to store.
 * The same arithmetic runs in Redis (redis-rate-limiter.ts) so replicas share one bucket.
 */
export function gcra(
  storedTatMs: number | undefined,
  nowMs: number,
  policy: RateLimitPolicy,
): { decision: RateDecision; tatMs: number } {
  const interval = (policy.perSeconds * 1000) / policy.limit;
  const tolerance = interval * policy.limit;
  const tat = Math.max(storedTatMs ?? nowMs, nowMs);
  const next = tat + interval;
  const allowAt = next - tolerance;
  if (allowAt > nowMs) {
    return {
      decision: { allowed: false, remaining: 0, retryAfterMs: Math.ceil(allowAt - nowMs) },
      tatMs: tat,
    };
  }
  return {
    decision: {
      allowed: true,
      remaining: Math.floor((tolerance - (next - nowMs)) / interval),
      retryAfterMs: 0,
    },
    tatMs: next,
  };
}

/** Where buckets live: one process's memory, or Redis shared by every gateway replica. */
export abstract class RateLimiter {
  abstract take(key: string, policy: RateLimitPolicy): Promise<RateDecision>;
  /** Resolves once shared state is reachable, or after `timeoutMs` regardless (never rejects). */
  abstract ready(timeoutMs: number): Promise<void>;
  abstract close(): Promise<void>;
}
