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
}

export type NextStep = { kind: 'retry'; at: Date } | { kind: 'give-up' };

/** After a failed attempt: try again an interval later, or give up once the window is over. */
export function nextStepAfterFailure(attempt: FailedAttempt): NextStep {
  const elapsed = attempt.now.getTime() - attempt.requestedAt.getTime();
  if (elapsed > attempt.retryWindowMs && !attempt.transferMayExist) return { kind: 'give-up' };
  return { kind: 'retry', at: new Date(attempt.now.getTime() + attempt.retryIntervalMs) };
}

/**
 * The Stripe idempotency key of a transfer creation. Stripe replays a stored 4xx (say
 * balance_insufficient) for the same key for 24 hours, which would make the hourly retries
 * pointless, so each retry after a recorded failure gets its own key. An attempt that crashed
 * before recording anything reuses its key; the transfer-group lookup before every creation
 * is what keeps one transfer per payout across keys.
 */
export function transferIdempotencyKey(payoutId: string, recordedAttempts: number): string {
  return recordedAttempts === 0
    ? `payout-${payoutId}`
    : `payout-${payoutId}-retry-${recordedAttempts}`;
}
