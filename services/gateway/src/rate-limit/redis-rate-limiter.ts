import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { describeError } from '../http/describe-error';
import { RateLimiter, type RateDecision, type RateLimitPolicy } from './gcra';

// gcra() in Lua, on Redis's clock so every replica reads one time. Returns
// { allowed 0|1, remaining, retryAfterMs }.
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local allow_at = nxt - tolerance
if allow_at > now then
  return { 0, 0, math.ceil(allow_at - now) }
end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.max(1, math.ceil(nxt - now)))
return { 1, math.floor((tolerance - (nxt - now)) / interval), 0 }
`;

interface GcraRedis extends Redis {
  gcra(key: string, intervalMs: string, limit: string): Promise<[number, number, number]>;
}

const WARN_EVERY_MS = 10_000;

/**
 * Buckets in Redis, shared by every gateway replica. While Redis does not answer, the fallback
 * (this replica's memory) decides: limits loosen to per-replica, traffic is never refused for it.
 */
export class RedisRateLimiter extends RateLimiter {
  private readonly logger = new Logger(RedisRateLimiter.name);
  private readonly redis: GcraRedis;
  private lastWarnMs = 0;

  constructor(
    url: string,
    private readonly fallback: RateLimiter,
    private readonly keyPrefix = 'gateway:rl:',
  ) {
    super();
    this.redis = new Redis(url, {
      // Fail fast to the fallback rather than queue requests behind a dead connection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 200,
      lazyConnect: false,
    }) as GcraRedis;
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    this.redis.on('error', (err) => this.warn('redis error', err));
  }

  async take(key: string, policy: RateLimitPolicy): Promise<RateDecision> {
    const interval = (policy.perSeconds * 1000) / policy.limit;
    try {
      const [allowed, remaining, retryAfterMs] = await this.redis.gcra(
        `${this.keyPrefix}${key}`,
        String(interval),
        String(policy.limit),
      );
      return { allowed: allowed === 1, remaining, retryAfterMs };
    } catch (err) {
      this.warn('rate limit decided in memory: redis did not answer', err);
      return this.fallback.take(key, policy);
    }
  }

  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }

  private warn(message: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnMs < WARN_EVERY_MS) return;
    this.lastWarnMs = now;
    this.logger.warn({ message, err: describeError(err) });
  }
}
