import { FailedAttempt, nextStepAfterFailure, transferIdempotencyKey } from './retry-policy';

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
