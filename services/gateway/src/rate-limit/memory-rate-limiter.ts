import { Clock } from '@rewards/service-kit';
import { gcra, RateLimiter, type RateDecision, type RateLimitPolicy } from './gcra';

/** Most buckets kept: past it the idle ones are dropped, and at worst the oldest. */
const MAX_KEYS = 100_000;

/** Buckets in this process: the fallback without REDIS_URL (or while Redis is unreachable). */
export class MemoryRateLimiter extends RateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(private readonly clock: Clock) {
    super();
  }

  take(key: string, policy: RateLimitPolicy): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    const { decision, tatMs } = gcra(this.tats.get(key), now, policy);
    if (decision.allowed) {
      // Re-inserted so that Map order is least recently used first.
      this.tats.delete(key);
      this.tats.set(key, tatMs);
      if (this.tats.size > MAX_KEYS) this.evict(now);
    }
    return Promise.resolve(decision);
  }

  /** Keys whose tat has passed hold a full bucket: forgetting them changes nothing. */
  private evict(now: number): void {
    for (const [key, tat] of this.tats) {
      if (tat <= now) this.tats.delete(key);
    }
    while (this.tats.size > MAX_KEYS) {
      const oldest = this.tats.keys().next().value;
      if (oldest === undefined) break;
      this.tats.delete(oldest);
    }
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
