/** Share of the lease an attempt may spend calling out; the rest covers recording and clock skew. */
const BUDGET_SHARE_OF_LEASE = 0.75;

/** Below this, a call is not worth starting: it would only time out. */
export const MIN_CALL_MS = 500;

/**
 * The time one attempt may spend on bookings and Stripe, so that it is over well before its
 * lease ends and a resumed attempt can never run beside it. Measured on the monotonic clock:
 * it bounds real network waits, not domain time.
 */
export class AttemptBudget {
  private readonly deadline: number;

  constructor(
    leaseMs: number,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {
    this.deadline = monotonicNow() + leaseMs * BUDGET_SHARE_OF_LEASE;
  }

  /** The timeout of the next call: its usual one, or what is left of the budget if less. */
  timeoutFor(usualMs: number): number {
    return Math.min(usualMs, Math.floor(this.deadline - this.monotonicNow()));
  }

  /** The monotonic time after which no call can start: waits before a call end by then. */
  get lastCallStart(): number {
    return this.deadline - MIN_CALL_MS;
  }

  /** Whether waiting this long still leaves time for a call. */
  canWait(ms: number): boolean {
    return this.monotonicNow() + ms < this.lastCallStart;
  }

  /** Whether a call with this timeout can still be made. */
  allows(timeoutMs: number): boolean {
    return timeoutMs >= MIN_CALL_MS;
  }
}

/** An attempt stopped before its next call because its budget was spent. */
export class AttemptOutOfTime extends Error {
  constructor() {
    super('the attempt ran out of time before its next Stripe call (slow bookings or Stripe)');
    this.name = 'AttemptOutOfTime';
  }
}
