import { RestartBackoff } from './restart-backoff';

describe(RestartBackoff.name, () => {
  it('doubles from 1 s up to 30 s for a process that keeps dying right away', () => {
    const backoff = new RestartBackoff();

    const delays = Array.from({ length: 8 }, () => backoff.next(100));

    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts over at 1 s once the process had stayed up for a minute', () => {
    const backoff = new RestartBackoff();
    backoff.next(0);
    backoff.next(0);
    backoff.next(0);

    expect(backoff.next(60_000)).toBe(1_000);
    expect(backoff.next(5_000)).toBe(2_000);
  });

  it('takes its delays from the settings given', () => {
    const backoff = new RestartBackoff({ firstMs: 10, maxMs: 25, stableAfterMs: 100 });

    expect([backoff.next(0), backoff.next(0), backoff.next(0)]).toEqual([10, 20, 25]);
  });
});
