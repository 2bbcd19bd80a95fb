import { Topic } from '@rewards/contracts';
import { DataSource } from 'typeorm';
import { DeadLetters } from './dead-letters';
import {
  EventHandler,
  InboxConsumerOptions,
  InboxStall,
  RunPrelude,
} from './inbox-consumer-options';
import { FailureSettlement } from './inbox-failure-settlement';
import { AnyHandler } from './inbox-message';
import { AnyPrelude, InboxRuns, IsolationNeeded } from './inbox-runs';
import { InboxStalls } from './inbox-stalls';
import {
  BatchControls,
  ConsumerState,
  IncomingBatch,
  MessageBus,
  Subscription,
} from './message-bus';

/**
 * Consumes through an inbox: a batch is applied in one transaction, a savepoint per message, and
 * each message id is recorded with its effect, so a redelivered message changes nothing.
 * - An infrastructure failure (database, network, timeout) rolls the batch back and is retried
 *   with capped backoff for as long as it lasts; the partition waits. Never dead-lettered.
 * - A message that breaks its contract, or whose handler keeps failing deterministically
 *   `maxAttempts` times, is dead-lettered with the reason (kept in the schema and sent to
 *   `<topic>.dlq`); the messages before it are committed and the partition moves on.
 * The batch's runs are applied by InboxRuns, a deterministic failure is settled by
 * FailureSettlement, and InboxStalls waits out infrastructure failures.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly preludes = new Map<string, AnyPrelude>();
  private subscription?: Subscription;
  private readonly stalls: InboxStalls;
  private readonly runs: InboxRuns;
  private readonly failures: FailureSettlement;

  constructor(
    dataSource: DataSource,
    private readonly bus: MessageBus,
    deadLetters: DeadLetters,
    private readonly options: InboxConsumerOptions,
  ) {
    this.stalls = new InboxStalls(dataSource, options);
    this.runs = new InboxRuns(dataSource, options, this.handlers, this.preludes);
    this.failures = new FailureSettlement(dataSource, deadLetters, options, this.runs, this.stalls);
  }

  on<T extends Topic>(topic: T, handler: EventHandler<T>): void {
    if (this.subscription) throw new Error('inbox: register handlers before start()');
    if (this.handlers.has(topic)) throw new Error(`inbox: a handler for ${topic} already exists`);
    // The registry guarantees the payload class of the topic, checked in parseEnvelope.
    this.handlers.set(topic, handler as AnyHandler);
  }

  /** Registers a topic's run prelude; its handler must be registered too (see RunPrelude). */
  beforeRun<T extends Topic>(topic: T, prelude: RunPrelude<T>): void {
    if (this.subscription) throw new Error('inbox: register preludes before start()');
    if (this.preludes.has(topic)) throw new Error(`inbox: a prelude for ${topic} already exists`);
    this.preludes.set(topic, prelude as AnyPrelude);
  }

  topics(): string[] {
    return [...this.handlers.keys()];
  }

  /** Consumer state for readiness: a service without handlers has nothing to wait for. */
  state(): ConsumerState | 'idle' {
    if (this.handlers.size === 0) return 'idle';
    return this.subscription?.state() ?? 'stopped';
  }

  /** Partitions held back by an infrastructure failure right now. */
  stalled(): InboxStall[] {
    return this.stalls.current();
  }

  start(): void {
    if (this.handlers.size === 0 || this.subscription) return;
    for (const topic of this.preludes.keys()) {
      if (!this.handlers.has(topic)) throw new Error(`inbox: a prelude for ${topic}, no handler`);
    }
    this.subscription = this.bus.subscribe(
      this.options.groupId,
      this.topics(),
      (batch, controls) => this.handleBatch(batch, controls),
      {
        concurrency: this.options.concurrency,
        maxBytesPerPartition: this.options.maxBytesPerPartition,
        coalesce: this.options.coalesce,
      },
    );
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  private async handleBatch(batch: IncomingBatch, controls: BatchControls): Promise<void> {
    const { messages } = batch;
    let next = 0;
    // Savepoints cost two round trips per message; a batch goes without them until a handler
    // fails deterministically, then the rest of it is applied one savepoint per message.
    let isolated = false;
    while (next < messages.length && controls.isActive()) {
      const from = next;
      const outcome = await this.stalls.untilItWorks(batch, controls, async () => {
        if (!isolated) {
          try {
            return await this.runs.applyRun(messages, from, controls, false);
          } catch (err) {
            if (!(err instanceof IsolationNeeded)) throw err;
            isolated = true;
          }
        }
        return this.runs.applyRun(messages, from, controls, true);
      });
      if (outcome === undefined) return;
      for (let k = from; k < from + outcome.applied; k++) controls.markProcessed(messages[k]);
      next = from + outcome.applied;
      // A kick costs the relay a transaction; lesson-completed batches mostly publish nothing.
      if (outcome.applied > 0 && outcome.wroteOutbox !== false) this.options.afterCommit?.();
      if (outcome.failure === undefined) continue;
      const settled = await this.failures.settle(batch, messages[next], outcome.failure, controls);
      if (!settled) return;
      controls.markProcessed(messages[next]);
      next += 1;
    }
  }
}
