import { AsyncResource } from 'node:async_hooks';
import type { EventEnvelope } from '@rewards/contracts';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  TransactionCommitEvent,
} from 'typeorm';
import { BrokerWatch } from './broker-watch';
import { MessageBus } from './message-bus';
import { OutboxWriter } from './outbox';
import { startPublishSpan } from './message-tracing';
import {
  ensureSchemaLockRow,
  schemaLockSkipped,
  tryTakeSchemaLock,
  tryTakeSchemaLockSql,
} from './schema-lock';

export interface OutboxRelayOptions {
  /**
   * Poll interval while the outbox is empty. Writers kick the relay after their commit
   * (kickAfterOutboxCommit), so the poll only catches what a kick missed: another replica's
   * rows, a kick while the broker was away.
   */
  pollIntervalMs: number;
  /**
   * The least time from the start of one drain to a drain a kick starts. A kick after a quiet
   * spell drains at once; under load, the commits that land within the interval go out in the
   * next drain as one batch (one lock, one send, one offsets write) instead of one batch each.
   */
  kickIntervalMs?: number;
  batchSize: number;
  /** How often the broker is checked for lost messages (also before publishing after a gap). */
  brokerCheckIntervalMs: number;
  onError: (err: unknown) => void;
  /** Names the relay's spans. */
  service?: string;
  /** Told what each batch sent (after the broker acknowledged it). */
  onPublished?: (envelopes: ReadonlyArray<EventEnvelope<unknown>>, replay: boolean) => void;
}

const MAX_BACKOFF_MS = 10_000;

interface OutboxRow {
  seq: string;
  topic: string;
  key: string;
  envelope: EventEnvelope<unknown>;
}

interface Batch {
  sent: number;
  /** Whether another batch may be waiting right away. */
  more: boolean;
}

interface ReplayRow {
  topic: string;
  next_seq: string;
  until_seq: string;
  generation: string;
}

/**
 * Publishes committed outbox rows in sequence order. One relay per service publishes at a time
 * (a row lock in its own schema, see tryTakeSchemaLock), so per-key order survives several replicas; writers of
 * one key serialize in OutboxWriter, so sequence order is their commit order.
 *
 * Published rows stay for the retention window. When the broker turns out to have lost messages
 * (see BrokerWatch), the relay first re-publishes the retained rows of each affected topic, in
 * order, then carries on with new rows; consumers' inboxes drop what they already applied.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private draining?: Promise<number>;
  private kicked = false;
  /** The next timer is a kick's, not a poll's: rows are waiting, no need to look first. */
  private kickDue = false;
  private lastBrokerCheck = 0;
  /**
   * When the last drain that published, or that a kick started, began (Date.now()): a kick
   * within kickIntervalMs of it waits for the interval's end.
   */
  private lastDrainAt = 0;
  /** Consecutive failed drains: the poll backs off while the broker or database is away. */
  private failures = 0;
  /**
   * Runs a function in the context the relay was made in: a kick from a request handler must not
   * make the relay's work part of that request (its request id in logs, its statements counted).
   */
  private readonly detached = AsyncResource.bind(<T>(fn: () => T): T => fn());

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly lockName: string,
    private readonly watch: BrokerWatch,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling after the drain in progress, if any. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.draining;
  }

  /** Call after committing a transaction that wrote events, to publish without waiting a poll. */
  kick(): void {
    if (!this.running || this.failures > 0) return;
    if (this.draining) {
      this.kicked = true;
      return;
    }
    // A kick's drain is due already and will take this commit's rows too. Re-arming the timer
    // here would let a steady stream of kicks put the drain off for ever.
    if (this.kickDue) return;
    this.kickDue = true;
    this.schedule(this.untilKickDrain());
  }

  /** How long until a kick may drain: at once, or when the interval since the last drain ends. */
  private untilKickDrain(): number {
    return Math.max(0, this.lastDrainAt + (this.options.kickIntervalMs ?? 0) - Date.now());
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = this.detached(() => setTimeout(() => this.onTimer(), delayMs));
  }

  private onTimer(): void {
    const polled = !this.kickDue;
    this.kickDue = false;
    const startedAt = Date.now();
    this.draining = this.drain({ lookFirst: polled });
    void this.draining.then((sent) => {
      this.draining = undefined;
      // An idle poll that found nothing is no activity: the next kick still goes at once.
      if (!polled || sent > 0) this.lastDrainAt = startedAt;
      if (!this.running) return;
      const again = this.kicked;
      this.kicked = false;
      this.kickDue = again;
      const backoff = Math.min(this.options.pollIntervalMs * 2 ** this.failures, MAX_BACKOFF_MS);
      const next = again ? this.untilKickDrain() : this.options.pollIntervalMs;
      this.schedule(this.failures > 0 ? backoff : next);
    });
  }

  /**
   * Publishes until the outbox is empty; returns how many messages were sent. `lookFirst`: an
   * idle poll asks in one statement whether anything waits before it takes the lock in a
   * transaction (four statements).
   */
  async drain(options: { lookFirst?: boolean } = {}): Promise<number> {
    let total = 0;
    try {
      const checkDue = Date.now() - this.lastBrokerCheck >= this.options.brokerCheckIntervalMs;
      if (checkDue) {
        await this.checkBroker();
      } else if (options.lookFirst && !(await this.hasWork())) {
        this.failures = 0;
        return 0;
      }
      for (;;) {
        const { sent, more } = await this.publishBatch();
        total += sent;
        if (!more) break;
      }
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      // Once when it starts, then now and then while it lasts.
      if (this.failures === 1 || this.failures % 20 === 0) this.options.onError(err);
    }
    return total;
  }

  /** Asks the broker whether it still has what was published; schedules replays if not. */
  async checkBroker(): Promise<void> {
    await this.underLock(async (tx) => {
      await this.watch.check(tx);
      this.lastBrokerCheck = Date.now();
    });
  }

  private async hasWork(): Promise<boolean> {
    const [{ work }] = await this.dataSource.query<Array<{ work: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE published_at IS NULL)
           OR EXISTS (SELECT 1 FROM outbox_replays) AS work`,
    );
    return work;
  }

  /**
   * One batch in one transaction of three statements (BEGIN, this one, COMMIT) plus the offsets
   * write after a send: the relay's lock, the first replay waiting or else the next unpublished
   * rows marked as published (a failed send rolls the mark back with the transaction), all in
   * one statement. Nothing is marked unless the lock was taken. The commit does not wait for the
   * WAL to reach disk (synchronous_commit off for this transaction alone): what a database crash
   * can take from it is marks and offsets, and the relay then sends those rows again, which the
   * consumers' inboxes drop. Every commit that must last (the events' own) still waits.
   */
  private async publishBatch(): Promise<Batch> {
    await ensureSchemaLockRow(this.dataSource, this.lockName);
    return this.dataSource.transaction(async (tx) => {
      const [next] = await tx.query<
        Array<{ locked: boolean; replay: ReplayRow | null; rows: OutboxRow[] }>
      >(
        `WITH relay_lock AS MATERIALIZED (${tryTakeSchemaLockSql('$2')}
         ), replay AS (
           SELECT topic, next_seq::text, until_seq::text, generation::text FROM outbox_replays
            WHERE EXISTS (SELECT 1 FROM relay_lock)
            ORDER BY requested_at, topic LIMIT 1
         ), marked AS (
           UPDATE outbox_messages SET published_at = now()
            WHERE seq IN (SELECT seq FROM outbox_messages WHERE published_at IS NULL
                           ORDER BY seq LIMIT $1)
              AND EXISTS (SELECT 1 FROM relay_lock)
              AND NOT EXISTS (SELECT 1 FROM replay)
            RETURNING seq, topic, key, envelope
         )
         SELECT set_config('synchronous_commit', 'off', true) AS no_flush_wait,
                EXISTS (SELECT 1 FROM relay_lock) AS locked,
                (SELECT to_jsonb(replay) FROM replay) AS replay,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('seq', seq::text, 'topic', topic,
                          'key', key, 'envelope', envelope) ORDER BY seq), '[]'::jsonb)
                   FROM marked) AS rows`,
        [this.options.batchSize, this.lockName],
      );
      if (!next.locked) {
        // Another replica's relay is publishing: it takes these rows too.
        await schemaLockSkipped(tx, this.lockName);
        return { sent: 0, more: false };
      }
      if (next.replay) return this.replayBatch(tx, next.replay);
      if (next.rows.length > 0) await this.send(tx, next.rows, false);
      return { sent: next.rows.length, more: next.rows.length === this.options.batchSize };
    });
  }

  private async replayBatch(tx: EntityManager, replay: ReplayRow): Promise<Batch> {
    const rows = await tx.query<OutboxRow[]>(
      `SELECT seq, topic, key, envelope FROM outbox_messages
       WHERE topic = $1 AND seq >= $2 AND seq <= $3 AND published_at IS NOT NULL
       ORDER BY seq LIMIT $4`,
      [replay.topic, replay.next_seq, replay.until_seq, this.options.batchSize],
    );
    if (rows.length === 0) {
      await tx.query('DELETE FROM outbox_replays WHERE topic = $1', [replay.topic]);
      // Then the next replay, or the rows that waited for this one.
      return { sent: 0, more: true };
    }
    await this.send(tx, rows, true);
    // Unless sending revealed yet another loss, which restarted this replay from the beginning.
    await tx.query('UPDATE outbox_replays SET next_seq = $2 WHERE topic = $1 AND generation = $3', [
      replay.topic,
      (BigInt(rows[rows.length - 1].seq) + 1n).toString(),
      replay.generation,
    ]);
    return { sent: rows.length, more: true };
  }

  private async send(tx: EntityManager, rows: OutboxRow[], replay: boolean): Promise<void> {
    const spans = rows.map((r) =>
      startPublishSpan(
        this.options.service ?? 'unknown',
        r.topic,
        r.envelope.id,
        r.envelope.traceparent,
      ),
    );
    let acks: Awaited<ReturnType<MessageBus['send']>>;
    try {
      acks = await this.bus.send(
        rows.map((r, i) => ({
          topic: r.topic,
          key: r.key,
          value: JSON.stringify(r.envelope),
          headers: {
            'message-id': r.envelope.id,
            ...(spans[i].traceparent ? { traceparent: spans[i].traceparent } : {}),
          },
        })),
      );
    } catch (err) {
      for (const span of spans) span.end(err);
      throw err;
    }
    for (const span of spans) span.end();
    await this.watch.recordAcks(tx, acks);
    this.options.onPublished?.(
      rows.map((r) => r.envelope),
      replay,
    );
  }

  /** Runs `work` holding the service's relay lock; undefined when another replica holds it. */
  private async underLock<T>(work: (tx: EntityManager) => Promise<T>): Promise<T | undefined> {
    // Before the transaction takes its connection, so the row's first insert never needs a second.
    await ensureSchemaLockRow(this.dataSource, this.lockName);
    return this.dataSource.transaction(async (tx) => {
      const locked = await tryTakeSchemaLock(tx, this.lockName);
      return locked ? work(tx) : undefined;
    });
  }
}

/**
 * Kicks the relay after every commit of a transaction that wrote to the outbox, whichever code
 * ran it, so events leave at once without each use case remembering to kick.
 */
export function kickAfterOutboxCommit(
  dataSource: DataSource,
  outbox: OutboxWriter,
  relay: OutboxRelay,
): void {
  const subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: (event: TransactionCommitEvent) => {
      if (outbox.wroteIn(event.manager)) relay.kick();
    },
  };
  dataSource.subscribers.push(subscriber);
}
