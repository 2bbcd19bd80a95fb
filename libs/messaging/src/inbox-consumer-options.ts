/**
 * What a service hands the inbox consumer: the handlers and run preludes it registers, the
 * options it is built with, and what it is told of a partition stalled by a failure.
 */
import { EventEnvelope, PayloadOf, Topic } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { CoalesceBounds } from './message-bus';

/** Applies one event inside the transaction that also records it in the inbox. */
export type EventHandler<T extends Topic> = (
  event: EventEnvelope<PayloadOf<T>>,
  tx: EntityManager,
) => Promise<void>;

/**
 * Runs once before the handlers of a run of one topic's messages, in the same transaction, with
 * the events those handlers will get (new to the inbox, each once, in order): the place to take
 * their locks and write or read their rows in a few statements instead of a few per message.
 * Not called when a run is redone a savepoint per message after a failure: handlers must then
 * work without it.
 */
export type RunPrelude<T extends Topic> = (
  events: Array<EventEnvelope<PayloadOf<T>>>,
  tx: EntityManager,
) => Promise<void>;

export type MessagingLog = (
  level: 'warn' | 'error',
  message: string,
  extra: Record<string, unknown>,
) => void;

export interface InboxConsumerOptions {
  groupId: string;
  /** Attempts of a deterministically failing message before it is dead-lettered. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  retryBaseMs: number;
  /** Ceiling of the delay between retries of an infrastructure failure, retried indefinitely. */
  retryMaxMs: number;
  /** Partitions applied at once, each in its own transaction. */
  concurrency: number;
  /** Bounds one fetch per partition. */
  maxBytesPerPartition: number;
  /** Bounds of one batch gathered from several fetches of a partition that is behind. */
  coalesce?: CoalesceBounds;
  log: MessagingLog;
  /** Called after a transaction that may have written outbox rows commits. */
  afterCommit?: () => void;
  /** Tells an infrastructure failure (retried indefinitely) from a deterministic one. */
  isTransient: (err: unknown) => boolean;
  /** Whether a transaction wrote outbox rows; unset, every commit counts as one that did. */
  wroteOutbox?: (tx: EntityManager) => boolean;
}

/** What the consumer is waiting on, when an infrastructure failure holds a partition. */
export interface InboxStall {
  topic: string;
  partition: number;
  since: Date;
  reason: string;
}
