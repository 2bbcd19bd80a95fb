import { Admin, Consumer, IHeaders, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import {
  BatchHandler,
  IncomingMessage,
  MessageBus,
  OutgoingMessage,
  Subscription,
} from './message-bus';

export interface KafkaJsBusOptions {
  brokers: string[];
  clientId: string;
  /** Per-request timeout; kept short so readiness reflects reality. */
  requestTimeoutMs?: number;
  /**
   * How long a fetch waits for data when a partition is idle. Kafka answers as soon as data
   * arrives, but not every broker does, so this bounds end-to-end latency when idle.
   */
  fetchMaxWaitMs?: number;
  log?: (level: 'error' | 'warn', message: string, extra: Record<string, unknown>) => void;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

export class KafkaJsMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private readonly consumers = new Set<Consumer>();

  private readonly fetchMaxWaitMs: number;

  constructor(options: KafkaJsBusOptions) {
    this.fetchMaxWaitMs = options.fetchMaxWaitMs ?? 200;
    const log = options.log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: options.requestTimeoutMs ?? 10000,
      retry: { initialRetryTime: 200, retries: 8 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const level = entry.level === logLevel.ERROR ? 'error' : 'warn';
        const { message, ...extra } = entry.log;
        if (entry.level <= logLevel.WARN) log?.(level, `kafka: ${message}`, extra);
      },
    });
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producerReady) {
      // Not idempotent: librdkafka's mock cluster lacks it. One request in flight keeps per-key
      // order through retries, and the inbox makes the rare duplicate harmless.
      const producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: false,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producer = producer;
      this.producerReady = producer.connect().then(
        () => producer,
        (err: unknown) => {
          this.producerReady = undefined;
          throw err;
        },
      );
    }
    return this.producerReady;
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
  }

  async subscribe(groupId: string, topics: string[], handler: BatchHandler): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      // Short enough that a replica that died without leaving the group is replaced quickly.
      sessionTimeout: 10000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: this.fetchMaxWaitMs,
      retry: { initialRetryTime: 300, retries: 1000 },
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        let lastDone: string | undefined;
        const messages: IncomingMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString() : null,
          value: m.value,
          headers: headersToStrings(m.headers),
        }));
        try {
          await handler(
            { topic: batch.topic, partition: batch.partition, messages },
            {
              heartbeat,
              isActive: () => isRunning() && !isStale(),
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
            await consumer.commitOffsets([
              {
                topic: batch.topic,
                partition: batch.partition,
                offset: (BigInt(lastDone) + 1n).toString(),
              },
            ]);
          }
        }
      },
    });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async ping(): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: { retries: 0 } });
      this.admin = admin.connect().then(
        () => admin,
        (err: unknown) => {
          this.admin = undefined;
          throw err;
        },
      );
    }
    const admin = await this.admin;
    try {
      await admin.describeCluster();
    } catch (err) {
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect().catch(() => undefined);
    if (this.admin) await (await this.admin.catch(() => undefined))?.disconnect();
    this.producerReady = undefined;
    this.admin = undefined;
  }
}
