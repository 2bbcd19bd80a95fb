import type { EventEnvelope } from '@rewards/contracts';

/**
 * What the messaging machinery reports as it works, for metrics. Calls are synchronous and must
 * not throw; the default does nothing.
 */
export interface MessagingObserver {
  /** Messages of a consumed partition not yet applied (the partition's end minus our position). */
  consumerLag(topic: string, partition: number, lag: number): void;
  /** A message was parked on `<topic>.dlq`. */
  deadLettered(topic: string): void;
  /** Rows deleted by retention from the outbox or the inbox. */
  purged(table: 'outbox' | 'inbox', rows: number): void;
  /** Events the relay sent to the broker (`replay`: re-sent to refill a broker that lost them). */
  published(envelopes: ReadonlyArray<EventEnvelope<unknown>>, replay: boolean): void;
}

export const NO_OBSERVER: MessagingObserver = {
  consumerLag: () => undefined,
  deadLettered: () => undefined,
  purged: () => undefined,
  published: () => undefined,
};
