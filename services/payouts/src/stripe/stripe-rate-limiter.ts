import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PayoutsConfig } from '../config/payouts.config';

/** How long a full second's callers wait before asking again, before jitter. */
const FULL_WAIT_MS = 50;

/** Windows older than this are deleted when a new one opens. */
const KEEP_WINDOWS_SECONDS = 60;

/**
 * Holds Stripe calls to STRIPE_RATE_LIMIT_PER_SECOND across every replica of the service: each
 * call takes one slot of the current second of the database clock (one counter row per
 * second, incremented only while below the limit), so replicas need no clock agreement and no
 * coordination beyond the row. A caller that finds the second full waits, with jitter, for the
 * next one.
 */
@Injectable()
export class StripeRateLimiter {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
  ) {}

  /**
   * Takes a slot; `deadline` (monotonic ms) bounds the wait. Returns false when no slot came
   * before it, so the caller can give up the call instead of overrunning its lease.
   */
  async acquire(deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      const rows = await this.dataSource.query<Array<{ used: number; window_start: string }>>(
        `INSERT INTO stripe_rate_windows AS w (window_start, used)
         VALUES (floor(extract(epoch FROM clock_timestamp()))::bigint, 1)
         ON CONFLICT (window_start) DO UPDATE SET used = w.used + 1
           WHERE w.used < $1
         RETURNING used, window_start`,
        [this.config.STRIPE_RATE_LIMIT_PER_SECOND],
      );
      if (rows.length > 0) {
        if (rows[0].used === 1) await this.forgetOldWindows(Number(rows[0].window_start));
        return true;
      }
      const wait = FULL_WAIT_MS + Math.floor(Math.random() * FULL_WAIT_MS);
      if (performance.now() + wait >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async forgetOldWindows(current: number): Promise<void> {
    await this.dataSource.query('DELETE FROM stripe_rate_windows WHERE window_start < $1', [
      current - KEEP_WINDOWS_SECONDS,
    ]);
  }
}
