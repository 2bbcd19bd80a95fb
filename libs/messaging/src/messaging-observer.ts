import type { EventEnvelope } from '@rewards/contracts';

/**
 * What the messaging machinery reports as it works, for metrics. Calls are synchronous and must
 * not throw; the default does nothing.
 */
export interface MessagingObserver {
  /** Messages of a consumed partition not yet applied (the partition's end minus our position). */
  consumerLag(topic: string, partition: number, lag: number): void;
  /** The partitions the consumer owns after joining its group (none once it stopped). */
  consumerAssigned(assignment: Readonly<Record<string, readonly number[]>>): void;
  /** The consumer crashed or failed to start, and is being restarted (by kafkajs or ours). */
  consumerRestarted(groupId: string, restartedBy: 'kafkajs' | 'supervisor'): void;
  /** A message was parked on `<topic>.dlq`. */
  deadLettered(topic: string): void;
  /** Rows deleted by retention from the outbox or the inbox. */
  purged(table: 'outbox' | 'inbox', rows: number): void;
  /** Events the relay sent to the broker (`replay`: re-sent to refill a broker that lost them). */
  published(envelopes: ReadonlyArray<EventEnvelope<unknown>>, replay: boolean): void;
}

export const NO_OBSERVER: MessagingObserver = {
  consumerLag: () => undefined,
  consumerAssigned: () => undefined,
  consumerRestarted: () => undefined,
  deadLettered: () => undefined,
  purged: () => undefined,
  published: () => undefined,
};
