import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CurrentEvents, createEnvelope, PayloadOf, Topic } from '@rewards/contracts';
import { currentTraceparent, OUTBOX_KEY_LOCK_SPACE, OutboxContext } from '@rewards/messaging';

/** The producer OutboxWriter writes as in this service: part of every event key's lock. */
const PRODUCER = 'bookings';

/**
 * One event's outbox row, for a statement that writes it beside the change that caused it (one
 * round trip instead of two). It mirrors OutboxWriter.add exactly (the payload checked against
 * its contract, the same envelope, the same per-key advisory lock taken before the row's
 * sequence number is drawn), so the relay and other writers of the key cannot tell them apart.
 */
export interface OutboxRow {
  /** CTE to put in the statement's WITH list; it takes the key's lock. */
  lockCte: string;
  /** The outbox insert, selecting from the lock CTE and from `from` (a CTE that gates it). */
  insert: (from: string) => string;
  params: unknown[];
}

/**
 * The outbox row of `payload`, its parameters numbered from `$firstParam`: writes it only in a
 * statement inside the transaction of the change it reports.
 */
export function outboxRow<T extends Topic>(
  topic: T,
  key: string,
  payload: PayloadOf<T>,
  context: OutboxContext,
  firstParam: number,
): OutboxRow {
  const contract: { version: number; payload: new () => object } = CurrentEvents[topic];
  // A producer bug must fail the transaction here, not poison every consumer later.
  const errors = validateSync(plainToInstance(contract.payload, payload as object));
  if (errors.length > 0) {
    throw new Error(`outbox: ${topic} payload breaks its contract: ${errors.toString()}`);
  }
  const envelope = createEnvelope({
    type: topic,
    version: contract.version,
    producer: PRODUCER,
    key,
    payload,
    occurredAt: context.occurredAt,
    traceparent: context.traceparent ?? currentTraceparent(),
  });
  const p = (i: number) => `$${firstParam + i}`;
  return {
    // Materialized so it runs, and waits for the lock, before the insert draws the sequence
    // number: one key's events are then numbered in their transactions' commit order.
    lockCte: `key_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${p(0)}::int, hashtext(${p(1)})))`,
    insert: (from) =>
      `INSERT INTO outbox_messages (id, topic, key, envelope)
       SELECT ${p(2)}::uuid, ${p(3)}::text, ${p(4)}::text, ${p(5)}::jsonb FROM key_lock, ${from}`,
    params: [
      OUTBOX_KEY_LOCK_SPACE,
      `${PRODUCER}:${key}`,
      envelope.id,
      topic,
      key,
      JSON.stringify(envelope),
    ],
  };
}
