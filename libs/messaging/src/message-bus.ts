/**
 * The only interface features and the outbox/inbox know about Kafka. kafkajs lives behind it in
 * kafkajs-message-bus.ts, so the client library can be swapped without touching features.
 */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** Where the broker appended (part of) a send: the first offset it gave that partition. */
export interface SendAck {
  topic: string;
  partition: number;
  baseOffset: string;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

export interface BatchControls {
  /** Keeps group membership alive during long work; cheap to call often (throttled). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: stop early. */
  isActive(): boolean;
  /** Marks a message done; the adapter commits the offset after it once the batch returns. */
  markProcessed(message: IncomingMessage): void;
}

export type BatchHandler = (batch: IncomingBatch, controls: BatchControls) => Promise<void>;

export type ConsumerState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface SubscribeOptions {
  /** Partitions worked on at once, each in its own transaction. */
  concurrency: number;
  /** Upper bound of one fetch per partition. */
  maxBytesPerPartition: number;
  /** Bounds of a batch coalesced from several fetches of a partition behind; none: never. */
  coalesce?: CoalesceBounds;
}

/**
 * While a partition is behind, its fetches are held back and handed over as one batch once it
 * caught up or one of these is reached (checked when its next fetch arrives).
 */
export interface CoalesceBounds {
  maxMessages: number;
  /** Sum of the keys' and values' lengths. */
  maxBytes: number;
  /** Age of the oldest message held back. */
  maxAgeMs: number;
}

export interface Subscription {
  /** 'running' once the consumer joined its group and fetches; readiness reads it. */
  state(): ConsumerState;
  /** Finishes the batch in hand, commits, leaves the group. */
  stop(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** The oldest offset the broker still keeps (retention deletes below it). */
  low: string;
  /** The offset the next message appended to the partition will get. */
  high: string;
}

export interface CommittedOffset {
  partition: number;
  /** The next offset the group will read; -1 when it never committed. */
  offset: string;
}

export interface MessageBus {
  /** Sends in order; resolves once every message is acknowledged by all in-sync replicas. */
  send(messages: OutgoingMessage[]): Promise<SendAck[]>;
  /**
   * Starts consuming in the background and keeps the consumer alive: a crash restarts it with
   * backoff, a rebalance or eviction makes it rejoin. Never rejects for a broker that is down.
   */
  subscribe(
    groupId: string,
    topics: string[],
    handler: BatchHandler,
    options: SubscribeOptions,
  ): Subscription;
  /** The end of each partition of a topic, to notice a broker that lost what it had. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Where a consumer group stands on each partition of a topic. */
  committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]>;
  /** Identity of the cluster: a replaced cluster has another. */
  clusterId(): Promise<string>;
  /** Rejects when the cluster cannot be reached within a short timeout. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
