export interface FailedAttempt {
  now: Date;
  /** When the payout was requested; the retry window counts from here. */
  requestedAt: Date;
  retryIntervalMs: number;
  retryWindowMs: number;
  /**
   * True when the attempt cannot rule out that Stripe made the transfer (it timed out, or never
   * got to check for an earlier one). Such an attempt never ends the payout: a later one must
   * find out, or a paid payout would be reported failed.
   */
  transferMayExist: boolean;
  /**
   * Delay before the next attempt when a transfer may exist (a create timed out or met a 409):
   * soon, so the payout is settled within minutes, with the same idempotency key. Default: the
   * retry interval.
   */
  uncertainRetryMs?: number;
}

export type NextStep = { kind: 'retry'; at: Date } | { kind: 'give-up' };

/** After a failed attempt: try again an interval later, or give up once the window is over. */
export function nextStepAfterFailure(attempt: FailedAttempt): NextStep {
  const elapsed = attempt.now.getTime() - attempt.requestedAt.getTime();
  if (elapsed > attempt.retryWindowMs && !attempt.transferMayExist) return { kind: 'give-up' };
  const delay =
    attempt.transferMayExist && attempt.uncertainRetryMs !== undefined
      ? attempt.uncertainRetryMs
      : attempt.retryIntervalMs;
  return { kind: 'retry', at: new Date(attempt.now.getTime() + delay) };
}

/**
 * The Stripe idempotency key of a transfer creation. Stripe replays a stored 4xx (say
 * balance_insufficient) for the same key for 24 hours, which would make the hourly retries
 * pointless, so each retry after a failure that proves no transfer was made gets its own key
 * (the generation moves on). An attempt that crashed, timed out or met a 409 reuses its key, so
 * a create still under way on Stripe's side is answered, not doubled; the transfer-group lookup
 * before every creation is what keeps one transfer per payout across keys.
 */
export function transferIdempotencyKey(payoutId: string, keyGeneration: number): string {
  return keyGeneration === 0 ? `payout-${payoutId}` : `payout-${payoutId}-retry-${keyGeneration}`;
}

/**
 * Full-jitter exponential backoff after a 429 (`retry` counts from 0): a random wait up to
 * base * 2^retry, capped, so replicas throttled together do not come back together.
 */
export function rateLimitBackoffMs(
  retry: number,
  random: () => number = Math.random,
  baseMs = 250,
  capMs = 2_000,
): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(retry, 0)));
}

export interface LeaseSettings {
  leaseMs: number;
  /** The longest a lease grows to; never less than `leaseMs`. */
  maxBackoffMs: number;
}

/**
 * How long a claim reserves its payout. An attempt that never recorded its outcome (the process
 * died, the database went away) is resumed once its lease ends; each such interruption of the
 * same payout doubles the next lease, up to the cap, so a payout that keeps failing that way
 * backs off instead of being retried every few seconds. Never shorter than the lease, so an
 * attempt still under way is never resumed.
 */
export function claimLeaseMs(interruptedAttempts: number, settings: LeaseSettings): number {
  const doubled = settings.leaseMs * 2 ** Math.min(Math.max(interruptedAttempts, 0), 16);
  return Math.min(doubled, Math.max(settings.leaseMs, settings.maxBackoffMs));
}
