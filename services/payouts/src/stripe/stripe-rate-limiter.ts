import { Inject, Injectable } from '@nestjs/common';
import { takeSchemaLock } from '@rewards/messaging';
import { DataSource } from 'typeorm';
import { PayoutsConfig } from '../config/payouts.config';

/** Serializes grants across replicas: a payouts.schema_locks row, out of other roles' reach. */
const LOCK = 'payouts:stripe-rate';

/** Grants older than this are deleted as new ones are made. */
const KEEP_SECONDS = 10;

/** Added to each wait, at random, so waiting replicas do not all come back at once. */
const JITTER_MS = 20;

/**
 * Holds Stripe calls to STRIPE_RATE_LIMIT_PER_SECOND across every replica of the service, over
 * any one-second span (a sliding window, as Stripe counts): a call may start only while fewer
 * than the limit started in the second before, by the database clock, so replicas need no clock
 * agreement. Grants are serialized by a schema lock (takeSchemaLock); a caller that finds the window full
 * waits until its oldest grant leaves it, with jitter.
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
      const waitMs = await this.tryGrant();
      if (waitMs === 0) return true;
      const wait = waitMs + Math.floor(Math.random() * JITTER_MS);
      if (performance.now() + wait >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** 0 when a slot was granted; else how long until the window's oldest grant leaves it. */
  private tryGrant(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      await takeSchemaLock(tx, LOCK);
      const [window] = await tx.query<Array<{ used: number; wait_ms: number | null }>>(
        `SELECT count(*)::int AS used,
           ceil(extract(epoch FROM min(granted_at) + interval '1 second' - clock_timestamp())
             * 1000)::int AS wait_ms
         FROM stripe_rate_grants WHERE granted_at > clock_timestamp() - interval '1 second'`,
      );
      if (window.used >= this.config.STRIPE_RATE_LIMIT_PER_SECOND) {
        return Math.max(1, window.wait_ms ?? 1);
      }
      await tx.query('INSERT INTO stripe_rate_grants (granted_at) VALUES (clock_timestamp())');
      await tx.query(
        `DELETE FROM stripe_rate_grants
         WHERE granted_at < clock_timestamp() - make_interval(secs => $1)`,
        [KEEP_SECONDS],
      );
      return 0;
    });
  }
}
