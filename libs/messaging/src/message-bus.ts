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
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: stop early. */
  isActive(): boolean;
  /** Marks a message done; the adapter commits the offset after it once the batch returns. */
  markProcessed(message: IncomingMessage): void;
}

export type BatchHandler = (batch: IncomingBatch, controls: BatchControls) => Promise<void>;

export interface Subscription {
  stop(): Promise<void>;
}

export interface MessageBus {
  /** Sends in order; resolves once every message is acknowledged by all in-sync replicas. */
  send(messages: OutgoingMessage[]): Promise<void>;
  subscribe(groupId: string, topics: string[], handler: BatchHandler): Promise<Subscription>;
  /** Rejects when the cluster cannot be reached within a short timeout. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
