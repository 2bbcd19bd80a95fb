import { Admin, Kafka, logLevel, Partitioners, Producer, SASLOptions } from 'kafkajs';
import {
  BatchHandler,
  CommittedOffset,
  MessageBus,
  OutgoingMessage,
  PartitionOffsets,
  SendAck,
  SubscribeOptions,
  Subscription,
} from './message-bus';
import { stopIdleRequestQueueLoop } from './kafkajs-idle-loop';
import { BusLog, SupervisedConsumer } from './supervised-consumer';

/** How the client authenticates to the brokers; plaintext and anonymous when absent. */
export interface KafkaSecurity {
  /** TLS to the brokers; `ca` (PEM) replaces the system trust store, e.g. Strimzi's cluster CA. */
  ssl?: { ca?: string[] };
  sasl?: SASLOptions & { mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain' };
}

export interface KafkaJsBusOptions {
  brokers: string[];
  clientId: string;
  security?: KafkaSecurity;
  /** Reports consumer lag per partition. */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /** Reports the partitions a consumer owns after joining (none once stopped). */
  onAssigned?: (groupId: string, assignment: Record<string, number[]>) => void;
  /** Reports each restart of a consumer after a crash or a failed start. */
  onRestart?: (groupId: string, restartedBy: 'kafkajs' | 'supervisor') => void;
  /** Reports messages a lagging partition had held back, forgotten by a rejoin or a stop. */
  onStashForgotten?: (groupId: string, topic: string, partition: number, messages: number) => void;
  /** Per-request timeout; kept short so readiness reflects reality. */
  requestTimeoutMs?: number;
  /**
   * How long a fetch waits for data when a partition is idle. Kafka answers as soon as data
   * arrives, but not every broker does, so this bounds end-to-end latency when idle.
   */
  fetchMaxWaitMs?: number;
  /** A member silent this long is evicted; heartbeats go out while a batch is worked on. */
  sessionTimeoutMs?: number;
  /** How often a member heartbeats, so how soon it learns of a rebalance; a quarter of the above. */
  heartbeatIntervalMs?: number;
  log?: BusLog;
}

export class KafkaJsMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private readonly consumers = new Set<SupervisedConsumer>();

  constructor(private readonly options: KafkaJsBusOptions) {
    stopIdleRequestQueueLoop();
    const log = options.log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.security?.ssl
        ? { ca: options.security.ssl.ca, rejectUnauthorized: true }
        : false,
      sasl: options.security?.sasl,
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

  async send(messages: OutgoingMessage[]): Promise<SendAck[]> {
    if (messages.length === 0) return [];
    const producer = await this.connectedProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    const acks = await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
    return acks.map((a) => ({
      topic: a.topicName,
      partition: a.partition,
      baseOffset: a.baseOffset ?? '-1',
    }));
  }

  subscribe(
    groupId: string,
    topics: string[],
    handler: BatchHandler,
    options: SubscribeOptions,
  ): Subscription {
    const consumer = new SupervisedConsumer(this.kafka, {
      ...options,
      groupId,
      topics,
      handler,
      fetchMaxWaitMs: this.options.fetchMaxWaitMs ?? 200,
      onLag: this.options.onLag,
      onAssigned: (assignment) => this.options.onAssigned?.(groupId, assignment),
      onRestart: (restartedBy) => this.options.onRestart?.(groupId, restartedBy),
      onStashForgotten: (topic, partition, messages) =>
        this.options.onStashForgotten?.(groupId, topic, partition, messages),
      // Short enough that a replica that died without leaving the group is replaced quickly.
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs:
        this.options.heartbeatIntervalMs ??
        Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 4),
      log: this.options.log,
    });
    this.consumers.add(consumer);
    return {
      state: () => consumer.state(),
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  async committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const [found] = await this.withAdmin((admin) =>
      admin.fetchOffsets({ groupId, topics: [topic] }),
    );
    return (found?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
  }

  async clusterId(): Promise<string> {
    return (await this.withAdmin((admin) => admin.describeCluster())).clusterId;
  }

  async ping(): Promise<void> {
    await this.withAdmin((admin) => admin.describeCluster());
  }

  /** Runs an admin call; a failed one drops the connection, so the next call reconnects. */
  private async withAdmin<T>(call: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = await this.connectedAdmin();
    try {
      return await call(admin);
    } catch (err) {
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  private connectedAdmin(): Promise<Admin> {
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
    return this.admin;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect().catch(() => undefined);
    if (this.admin) await (await this.admin.catch(() => undefined))?.disconnect();
    this.producerReady = undefined;
    this.admin = undefined;
  }
}
