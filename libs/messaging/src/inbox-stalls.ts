/**
 * How the inbox waits out an infrastructure failure (database, network, timeout): the work is
 * retried with capped exponential backoff for as long as the failure lasts, heartbeating while
 * the partition waits, and each waiting partition is kept as a stall with what it waits on.
 */
import { DataSource } from 'typeorm';
import { InboxConsumerOptions, InboxStall } from './inbox-consumer-options';
import { describe } from './inbox-message';
import { BatchControls, IncomingBatch } from './message-bus';

const HEARTBEAT_SLICE_MS = 1000;

export class InboxStalls {
  private readonly stalls = new Map<string, InboxStall>();
  private readonly isTransient: (err: unknown) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: InboxConsumerOptions,
  ) {
    this.isTransient = options.isTransient;
  }

  /** Partitions held back by an infrastructure failure right now. */
  current(): InboxStall[] {
    return [...this.stalls.values()];
  }

  /**
   * Runs `work` until it stops failing with an infrastructure error, waiting with capped
   * exponential backoff and heartbeating meanwhile. Undefined when the partition is no longer
   * ours (stop, rebalance): the next owner redelivers.
   */
  async untilItWorks<T>(
    batch: IncomingBatch,
    controls: BatchControls,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    const key = `${batch.topic}/${batch.partition}`;
    let delay = this.options.retryBaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await work();
        this.stalls.delete(key);
        return result;
      } catch (err) {
        if (!this.isTransient(err) && (await this.databaseReachable())) throw err;
        const stall = this.stalls.get(key);
        if (!stall) {
          this.stalls.set(key, { ...batch, since: new Date(), reason: describe(err) });
        }
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.log('warn', 'inbox: infrastructure failure, partition waits and retries', {
            topic: batch.topic,
            partition: batch.partition,
            attempt,
            reason: describe(err),
          });
        }
        if (!(await this.pause(delay, controls))) {
          this.stalls.delete(key);
          return undefined;
        }
        delay = Math.min(delay * 2, this.options.retryMaxMs);
      }
    }
  }

  /** Waits, heartbeating; false as soon as the partition is no longer ours. */
  async pause(ms: number, controls: BatchControls): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!controls.isActive()) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(HEARTBEAT_SLICE_MS, until - Date.now())),
      );
      await controls.heartbeat().catch(() => undefined);
    }
    return controls.isActive();
  }

  async databaseReachable(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
