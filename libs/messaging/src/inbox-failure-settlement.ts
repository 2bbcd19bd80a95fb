/**
 * What becomes of a message that failed deterministically (it breaks its contract, or its handler
 * threw): retried on its own with backoff up to `maxAttempts` in all, then dead-lettered with the
 * reason, so the messages after it can go on.
 */
import { DataSource } from 'typeorm';
import { DeadLetters } from './dead-letters';
import { InboxConsumerOptions } from './inbox-consumer-options';
import { describe } from './inbox-message';
import { InboxRuns } from './inbox-runs';
import { InboxStalls } from './inbox-stalls';
import { BatchControls, IncomingBatch, IncomingMessage } from './message-bus';

export class FailureSettlement {
  private readonly isTransient: (err: unknown) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetters,
    private readonly options: InboxConsumerOptions,
    private readonly runs: InboxRuns,
    private readonly stalls: InboxStalls,
  ) {
    this.isTransient = options.isTransient;
  }

  /**
   * Retries a message that failed deterministically on its own, up to `maxAttempts` in all, then
   * dead-letters it. False when the partition was taken away meanwhile (nothing to commit).
   */
  async settle(
    batch: IncomingBatch,
    message: IncomingMessage,
    failure: { reason: string; poison: boolean },
    controls: BatchControls,
  ): Promise<boolean> {
    let reason = failure.reason;
    let attempt = 1;
    const parsed = this.runs.parse(message);
    if (!failure.poison && parsed.kind === 'ok') {
      for (; attempt < this.options.maxAttempts; attempt++) {
        this.options.log('warn', 'inbox: handler failed, retrying', {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          messageId: parsed.event.id,
          attempt,
          reason,
        });
        if (!(await this.stalls.pause(this.options.retryBaseMs * 2 ** (attempt - 1), controls))) {
          return false;
        }
        const retried = await this.stalls.untilItWorks(batch, controls, async () => {
          try {
            await this.dataSource.transaction((tx) => this.runs.applyIn(tx, parsed, message));
            return { ok: true as const };
          } catch (err) {
            if (this.isTransient(err) || !(await this.stalls.databaseReachable())) throw err;
            return { ok: false as const, reason: describe(err) };
          }
        });
        if (retried === undefined) return false;
        if (retried.ok) {
          this.options.afterCommit?.();
          return true;
        }
        reason = retried.reason;
      }
    }
    const recorded = await this.stalls.untilItWorks(batch, controls, async () => {
      await this.deadLetters.record(message, reason, attempt);
      return true;
    });
    if (recorded) {
      this.options.log('error', 'inbox: message dead-lettered', {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        attempts: attempt,
        reason,
      });
    }
    return recorded === true;
  }
}
