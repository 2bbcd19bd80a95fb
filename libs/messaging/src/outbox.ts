import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CurrentEvents, createEnvelope, EventEnvelope, PayloadOf, Topic } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { currentTraceparent } from './message-tracing';

/** First half of the two-int advisory lock taken per event key (the second is the key's hash). */
export const OUTBOX_KEY_LOCK_SPACE = 0x6f757478; // 'outx'

export interface OutboxContext {
  /** W3C traceparent of the work that produced the event. */
  traceparent?: string;
  occurredAt: Date;
}

/**
 * Writes events into the outbox table inside the caller's transaction, so an event exists if and
 * only if the state change that caused it was committed. The relay publishes it afterwards.
 */
export class OutboxWriter {
  /** Transactions add() wrote to; entries go with their EntityManager. */
  private readonly written = new WeakSet<EntityManager>();

  constructor(private readonly producer: string) {}

  /** Whether add() ran in this transaction, i.e. whether the relay has something to publish. */
  wroteIn(tx: EntityManager): boolean {
    return this.written.has(tx);
  }

  async add<T extends Topic>(
    tx: EntityManager,
    topic: T,
    key: string,
    payload: PayloadOf<T>,
    context: OutboxContext,
  ): Promise<EventEnvelope<PayloadOf<T>>> {
    const row = this.row(topic, key, payload, context, 1);
    await tx.query(`WITH ${row.lockCte} ${row.insert()}`, row.params);
    this.written.add(tx);
    return row.envelope;
  }

  /**
   * Several events in one statement, in the order given (one key's events are numbered in that
   * order). Their keys' locks are taken in key order, whatever the events' order: two writers of
   * the same keys then queue instead of each holding one the other waits for.
   */
  async addMany(tx: EntityManager, events: ReadonlyArray<OutboxEvent>): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const rows = events.map((e) => this.row(e.topic, e.key, e.payload, e.context, 1));
    const lockKeys = [...new Set(rows.map((r) => r.params[1] as string))].sort();
    await tx.query(
      `WITH key_locks AS MATERIALIZED (
         SELECT pg_advisory_xact_lock($1::int, hashtext(k.key))
           FROM (SELECT key FROM unnest($2::text[]) WITH ORDINALITY AS u(key, n) ORDER BY n) k
       )
       INSERT INTO outbox_messages (id, topic, key, envelope)
       SELECT e.id, e.topic, e.key, e.envelope
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY
              AS e(id, topic, key, envelope, n)
        WHERE (SELECT count(*) FROM key_locks) = cardinality($2::text[])
        ORDER BY e.n`,
      [
        OUTBOX_KEY_LOCK_SPACE,
        lockKeys,
        rows.map((r) => r.envelope.id),
        rows.map((r) => r.params[3]),
        rows.map((r) => r.params[4]),
        rows.map((r) => r.params[5]),
      ],
    );
    this.written.add(tx);
    return rows.map((r) => r.envelope);
  }

  /**
   * One event's outbox row as SQL to put in a statement beside the change it reports (one round
   * trip instead of two), its parameters numbered from `$firstParam`. Run it only inside the
   * change's transaction, or as a single statement, which is its own. The commit hook does not
   * see such a row: the caller kicks the relay after its commit.
   */
  row<T extends Topic>(
    topic: T,
    key: string,
    payload: PayloadOf<T>,
    context: OutboxContext,
    firstParam: number,
  ): OutboxRow<T> {
    const contract: { version: number; payload: new () => object } = CurrentEvents[topic];
    // A producer bug must fail the transaction here, not poison every consumer later.
    const errors = validateSync(plainToInstance(contract.payload, payload as object));
    if (errors.length > 0) {
      throw new Error(`outbox: ${topic} payload breaks its contract: ${errors.toString()}`);
    }
    const envelope = createEnvelope({
      type: topic,
      version: contract.version,
      producer: this.producer,
      key,
      payload,
      occurredAt: context.occurredAt,
      // The caller's, else the active span's: a request's events join the request's trace.
      traceparent: context.traceparent ?? currentTraceparent(),
    });
    const p = (i: number) => `$${firstParam + i}`;
    return {
      envelope,
      // Writers of one key queue on the advisory lock until the previous one commits, so the
      // sequence number the insert then takes orders one key's events as their transactions
      // committed, even when the writers share no other lock; the relay publishes by sequence
      // number. The CTE is materialized, so it runs (and waits for the lock) before the insert
      // draws the row's sequence number.
      lockCte: `key_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${p(0)}::int, hashtext(${p(1)})))`,
      insert: (gate) =>
        `INSERT INTO outbox_messages (id, topic, key, envelope)
         SELECT ${p(2)}::uuid, ${p(3)}::text, ${p(4)}::text, ${p(5)}::jsonb
           FROM key_lock${gate === undefined ? '' : `, ${gate}`}`,
      params: [
        OUTBOX_KEY_LOCK_SPACE,
        `${this.producer}:${key}`,
        envelope.id,
        topic,
        key,
        JSON.stringify(envelope),
      ],
    };
  }
}

/** One event for OutboxWriter.addMany. */
export interface OutboxEvent<T extends Topic = Topic> {
  topic: T;
  key: string;
  payload: PayloadOf<T>;
  context: OutboxContext;
}

/** An event's outbox row for a statement of the caller's (see OutboxWriter.row). */
export interface OutboxRow<T extends Topic = Topic> {
  envelope: EventEnvelope<PayloadOf<T>>;
  /** A CTE for the statement's WITH list; it takes the event key's lock. */
  lockCte: string;
  /** The outbox insert, after the lock; `gate`, a CTE of the statement, must yield one row. */
  insert: (gate?: string) => string;
  params: unknown[];
}
