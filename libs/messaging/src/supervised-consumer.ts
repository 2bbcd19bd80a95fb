import { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { BatchCoalescer } from './batch-coalescer';
import {
  BatchHandler,
  ConsumerState,
  IncomingMessage,
  SubscribeOptions,
  Subscription,
} from './message-bus';

export type BusLog = (
  level: 'error' | 'warn',
  message: string,
  extra: Record<string, unknown>,
) => void;

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
// A consumer that stayed joined this long restarts quickly again next time.
const HEALTHY_AFTER_MS = 60_000;

export interface SupervisedConsumerOptions extends SubscribeOptions {
  /** Called with the partition's lag when a batch arrives and after it is worked on. */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /** Called with the partitions owned after each join, and with none once stopped. */
  onAssigned?: (assignment: Record<string, number[]>) => void;
  /** Called each time the consumer is restarted after a crash or a failed start. */
  onRestart?: (restartedBy: 'kafkajs' | 'supervisor') => void;
  /** Called with what a partition had held back when a rejoin or stop made it fetch it again. */
  onStashForgotten?: (topic: string, partition: number, messages: number) => void;
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  fetchMaxWaitMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  log?: BusLog;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One kafkajs consumer kept alive: kafkajs restarts itself after retriable crashes only, so any
 * other crash (an eviction's failed commit, a broker replaced under it) is restarted here with
 * backoff. The state tells readiness whether messages are flowing.
 */
export class SupervisedConsumer implements Subscription {
  private consumer?: Consumer;
  private current: ConsumerState = 'starting';
  private stopped = false;
  private restartDelayMs = RESTART_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  /** The first launch: stop() waits for it, so no consumer starts running after stop returns. */
  private launching?: Promise<void>;
  private joinedAt = 0;
  private generation = 0;
  /**
   * Partitions' fetches held back while they are behind. kafkajs fetches from the resolved
   * offsets, so a held batch is resolved (the next fetch goes on after it) but not committed;
   * every (re)join fetches from the committed offsets again, so each one forgets the stashes.
   */
  private readonly coalescer: BatchCoalescer;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: SupervisedConsumerOptions,
  ) {
    this.coalescer = new BatchCoalescer(options.coalesce);
    this.launching = this.launch();
  }

  state(): ConsumerState {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current = 'stopped';
    this.forgetStashes();
    clearTimeout(this.restartTimer);
    await this.launching?.catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    this.options.onAssigned?.({});
  }

  private forgetStashes(): void {
    for (const { topic, partition, messages } of this.coalescer.reset()) {
      this.options.onStashForgotten?.(topic, partition, messages);
    }
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.forgetStashes();
    const { options } = this;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      retry: { initialRetryTime: 300, retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (generation !== this.generation) return;
      this.forgetStashes();
      this.current = 'running';
      this.joinedAt = Date.now();
      options.onAssigned?.(event.payload.memberAssignment ?? {});
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (generation !== this.generation) return;
      this.forgetStashes();
      if (this.current === 'running') this.current = 'starting';
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (generation !== this.generation || this.stopped) {
        // A crash while it was being stopped (a fetch cut by the disconnect): kafkajs sets its
        // own restart timer right after this event, and would bring the consumer back into
        // the group. Its stop() clears that timer.
        if (event.payload.restart) setImmediate(() => void consumer.stop().catch(() => undefined));
        return;
      }
      const { error, restart } = event.payload;
      options.log?.('warn', 'kafka consumer crashed', {
        groupId: options.groupId,
        error: error.message,
        restartedBy: restart ? 'kafkajs' : 'supervisor',
      });
      this.current = 'restarting';
      this.forgetStashes();
      options.onRestart?.(restart ? 'kafkajs' : 'supervisor');
      if (!restart) this.scheduleRestart(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: true });
      // Stopped (or replaced) while connecting: running it now would leave it in the group.
      if (this.stopped || generation !== this.generation) {
        await consumer.disconnect().catch(() => undefined);
        return;
      }
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency,
        eachBatch: (payload) => this.eachBatch(consumer, payload),
      });
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      options.log?.('warn', 'kafka consumer failed to start', {
        groupId: options.groupId,
        error: err instanceof Error ? err.message : String(err),
      });
      this.current = 'restarting';
      options.onRestart?.('supervisor');
      this.scheduleRestart(consumer);
    }
  }

  private scheduleRestart(old: Consumer): void {
    if (this.stopped) return;
    if (this.joinedAt > 0 && Date.now() - this.joinedAt > HEALTHY_AFTER_MS) {
      this.restartDelayMs = RESTART_MIN_MS;
    }
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, RESTART_MAX_MS);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void old
        .disconnect()
        .catch(() => undefined)
        .then(() => this.launch());
    }, delay);
  }

  private async eachBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const { topic, partition } = batch;
    const isActive = () => isRunning() && !isStale() && !this.stopped;
    const fetched: IncomingMessage[] = batch.messages.map((m) => ({
      topic,
      partition,
      offset: m.offset,
      key: m.key ? m.key.toString() : null,
      value: m.value,
      headers: headersToStrings(m.headers),
    }));
    if (!isActive()) this.coalescer.drop(topic, partition);
    const coalesced = this.coalescer.take(topic, partition, fetched);
    const { messages } = coalesced;
    const lagAfter = (offset: string) => Number(BigInt(batch.highWatermark) - BigInt(offset) - 1n);
    if (messages.length > 0) {
      this.options.onLag?.(topic, partition, lagAfter(messages[0].offset) + 1);
    }
    // Decided and done without awaiting: a rejoin (which forgets the stashes) cannot come between.
    if (
      fetched.length > 0 &&
      isActive() &&
      consumer === this.consumer &&
      this.coalescer.shouldHold(coalesced, BigInt(batch.offsetLag()))
    ) {
      // The next fetch of this partition starts after these; they are applied with it.
      resolveOffset(fetched[fetched.length - 1].offset);
      this.coalescer.hold(topic, partition, coalesced);
      return;
    }
    let lastDone: string | undefined;
    try {
      await this.options.handler(
        { topic, partition, messages },
        {
          heartbeat: async () => {
            // A failed heartbeat means the group is rebalancing (isActive() turns false and the
            // batch ends early) or the broker is away (the next fetch fails and kafkajs restarts).
            await heartbeat().catch(() => undefined);
          },
          isActive,
          markProcessed: (message) => {
            resolveOffset(message.offset);
            lastDone = message.offset;
          },
        },
      );
    } finally {
      // Held-back messages were resolved before being applied: when none got done, the next
      // fetch (same member, e.g. after the handler threw) must start at them again.
      if (lastDone === undefined && coalesced.stashed > 0) {
        resolveOffset((BigInt(messages[0].offset) - 1n).toString());
      }
      // Commit what was finished even when the handler gave up half-way; the rest is
      // redelivered and the inbox drops whatever was already applied.
      if (lastDone !== undefined) {
        this.options.onLag?.(topic, partition, lagAfter(lastDone));
        await this.commit(consumer, topic, partition, lastDone);
      }
    }
  }

  private async commit(
    consumer: Consumer,
    topic: string,
    partition: number,
    offset: string,
  ): Promise<void> {
    try {
      await consumer.commitOffsets([
        { topic, partition, offset: (BigInt(offset) + 1n).toString() },
      ]);
    } catch (err) {
      // Usually the partition was lost mid-batch (rebalance, eviction; kafkajs reports these
      // without their protocol code). Never a reason to crash: whoever owns the partition next
      // gets the uncommitted messages again and its inbox makes them no-ops.
      this.options.log?.('warn', 'kafka offset commit failed; the messages will be redelivered', {
        groupId: this.options.groupId,
        topic,
        partition,
        offset,
        reason: describe(err),
      });
    }
  }
}
