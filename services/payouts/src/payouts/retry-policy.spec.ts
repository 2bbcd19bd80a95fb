import {
  claimLeaseMs,
  FailedAttempt,
  nextStepAfterFailure,
  rateLimitBackoffMs,
  transferIdempotencyKey,
} from './retry-policy';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const requestedAt = new Date('2026-11-01T10:00:00.000Z');

function failedAt(elapsedMs: number, overrides: Partial<FailedAttempt> = {}): FailedAttempt {
  return {
    now: new Date(requestedAt.getTime() + elapsedMs),
    requestedAt,
    retryIntervalMs: HOUR,
    retryWindowMs: WEEK,
    transferMayExist: false,
    ...overrides,
  };
}

describe(nextStepAfterFailure.name, () => {
  it('retries one interval after a failure inside the window', () => {
    const step = nextStepAfterFailure(failedAt(5 * 60_000));

    expect(step).toEqual({
      kind: 'retry',
      at: new Date(requestedAt.getTime() + 5 * 60_000 + HOUR),
    });
  });

  it('still retries when the window has just been reached', () => {
    expect(nextStepAfterFailure(failedAt(WEEK)).kind).toBe('retry');
  });

  it('gives up once the window is exceeded', () => {
    expect(nextStepAfterFailure(failedAt(WEEK + 1))).toEqual({ kind: 'give-up' });
  });

  it('keeps retrying past the window while a transfer may already exist', () => {
    const step = nextStepAfterFailure(failedAt(WEEK + HOUR, { transferMayExist: true }));

    expect(step).toEqual({ kind: 'retry', at: new Date(requestedAt.getTime() + WEEK + 2 * HOUR) });
  });

  it('retries soon, and past the window, when a create timed out or met a conflict', () => {
    const step = nextStepAfterFailure(
      failedAt(WEEK + HOUR, { transferMayExist: true, uncertainRetryMs: 60_000 }),
    );

    expect(step).toEqual({
      kind: 'retry',
      at: new Date(requestedAt.getTime() + WEEK + HOUR + 60_000),
    });
  });

  it('keeps the retry interval for a failure that proves no transfer exists', () => {
    const step = nextStepAfterFailure(failedAt(60_000, { uncertainRetryMs: 1_000 }));

    expect(step).toEqual({ kind: 'retry', at: new Date(requestedAt.getTime() + 60_000 + HOUR) });
  });

  it('gives up at the first failure when the window is zero', () => {
    expect(nextStepAfterFailure(failedAt(1, { retryWindowMs: 0 })).kind).toBe('give-up');
  });
});

describe(transferIdempotencyKey.name, () => {
  it('derives the first key from the payout id alone', () => {
    expect(transferIdempotencyKey('p1', 0)).toBe('payout-p1');
  });

  it('gives every retry after a recorded failure a key of its own', () => {
    const keys = [0, 1, 2].map((n) => transferIdempotencyKey('p1', n));

    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe('payout-p1-retry-2');
  });
});

describe(claimLeaseMs.name, () => {
  const settings = { leaseMs: 20_000, maxBackoffMs: 50_000 };

  it('reserves a payout claimed for the first time for one lease', () => {
    expect(claimLeaseMs(0, settings)).toBe(20_000);
  });

  it('doubles the lease with each interrupted attempt, capped under a minute', () => {
    expect([1, 2, 3, 50].map((n) => claimLeaseMs(n, settings))).toEqual([
      40_000, 50_000, 50_000, 50_000,
    ]);
  });

  it('never reserves less than the lease, whatever the cap', () => {
    expect(claimLeaseMs(0, { leaseMs: 20_000, maxBackoffMs: 1_000 })).toBe(20_000);
    expect(claimLeaseMs(5, { leaseMs: 20_000, maxBackoffMs: 1_000 })).toBe(20_000);
  });
});

describe(rateLimitBackoffMs.name, () => {
  it('waits a random share of an exponentially growing, capped ceiling', () => {
    expect(rateLimitBackoffMs(0, () => 0.999)).toBe(249);
    expect(rateLimitBackoffMs(2, () => 0.5)).toBe(500);
    expect(rateLimitBackoffMs(10, () => 0.999)).toBe(1998);
    expect(rateLimitBackoffMs(3, () => 0)).toBe(0);
  });
});
