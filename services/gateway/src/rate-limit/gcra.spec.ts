import { ManualClock } from '@rewards/service-kit';
import { gcra } from './gcra';
import { MemoryRateLimiter } from './memory-rate-limiter';

const PER_MINUTE_60 = { limit: 60, perSeconds: 60 };

describe(gcra.name, () => {
  it('allows a full burst, then one request per interval', () => {
    let tat: number | undefined;
    const now = 1_000_000;
    for (let i = 0; i < 60; i += 1) {
      const step = gcra(tat, now, PER_MINUTE_60);
      expect(step.decision).toMatchObject({ allowed: true, remaining: 59 - i });
      tat = step.tatMs;
    }
    const refused = gcra(tat, now, PER_MINUTE_60);
    expect(refused.decision).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    expect(refused.tatMs).toBe(tat);
    expect(gcra(tat, now + 999, PER_MINUTE_60).decision.allowed).toBe(false);
    expect(gcra(tat, now + 1000, PER_MINUTE_60).decision.allowed).toBe(true);
  });

  it('refills completely after the period', () => {
    let tat: number | undefined;
    for (let i = 0; i < 60; i += 1) tat = gcra(tat, 0, PER_MINUTE_60).tatMs;
    expect(gcra(tat, 60_000, PER_MINUTE_60).decision.remaining).toBe(59);
  });
});

describe(MemoryRateLimiter.name, () => {
  it('keeps one bucket per key and refuses past the limit until time passes', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const limiter = new MemoryRateLimiter(clock);
    const policy = { limit: 2, perSeconds: 10 };
    expect((await limiter.take('a', policy)).allowed).toBe(true);
    expect((await limiter.take('a', policy)).allowed).toBe(true);
    expect(await limiter.take('a', policy)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 5000,
    });
    expect((await limiter.take('b', policy)).allowed).toBe(true);
    clock.advance(5000);
    expect((await limiter.take('a', policy)).allowed).toBe(true);
    expect((await limiter.take('a', policy)).allowed).toBe(false);
  });
});
