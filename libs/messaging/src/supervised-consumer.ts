import { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
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

  constructor(
    private readonly kafka: Kafka,
    private readonly options: SupervisedConsumerOptions,
  ) {
    this.launching = this.launch();
  }

  state(): ConsumerState {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current = 'stopped';
    clearTimeout(this.restartTimer);
    await this.launching?.catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    this.options.onAssigned?.({});
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
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
      this.current = 'running';
      this.joinedAt = Date.now();
      options.onAssigned?.(event.payload.memberAssignment ?? {});
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (generation === this.generation && this.current === 'running') this.current = 'starting';
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
    let lastDone: string | undefined;
    const messages: IncomingMessage[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key ? m.key.toString() : null,
      value: m.value,
      headers: headersToStrings(m.headers),
    }));
    const lagAfter = (offset: string) => Number(BigInt(batch.highWatermark) - BigInt(offset) - 1n);
    if (messages.length > 0) {
      this.options.onLag?.(batch.topic, batch.partition, lagAfter(messages[0].offset) + 1);
    }
    try {
      await this.options.handler(
        { topic: batch.topic, partition: batch.partition, messages },
        {
          heartbeat: async () => {
            // A failed heartbeat means the group is rebalancing (isActive() turns false and the
            // batch ends early) or the broker is away (the next fetch fails and kafkajs restarts).
            await heartbeat().catch(() => undefined);
          },
          isActive: () => isRunning() && !isStale() && !this.stopped,
          markProcessed: (message) => {
            resolveOffset(message.offset);
            lastDone = message.offset;
          },
        },
      );
    } finally {
      // Commit what was finished even when the handler gave up half-way; the rest is
      // redelivered and the inbox drops whatever was already applied.
      if (lastDone !== undefined) {
        this.options.onLag?.(batch.topic, batch.partition, lagAfter(lastDone));
        await this.commit(consumer, batch.topic, batch.partition, lastDone);
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
