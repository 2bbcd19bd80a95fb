import {
  ContractViolation,
  EventEnvelope,
  parseEnvelope,
  PayloadOf,
  Topic,
} from '@rewards/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { inConsumeSpan } from './message-tracing';
import { DeadLetters } from './dead-letters';
import {
  BatchControls,
  CoalesceBounds,
  ConsumerState,
  IncomingBatch,
  IncomingMessage,
  MessageBus,
  Subscription,
} from './message-bus';

/** Applies one event inside the transaction that also records it in the inbox. */
export type EventHandler<T extends Topic> = (
  event: EventEnvelope<PayloadOf<T>>,
  tx: EntityManager,
) => Promise<void>;

type AnyHandler = (event: EventEnvelope<object>, tx: EntityManager) => Promise<void>;

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

type AnyPrelude = (events: Array<EventEnvelope<object>>, tx: EntityManager) => Promise<void>;

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

type Parsed =
  | { kind: 'ok'; event: EventEnvelope<object>; handler: AnyHandler }
  | { kind: 'poison'; reason: string };

interface RunOutcome {
  applied: number;
  /** False when the run's transaction wrote no outbox rows: the relay has nothing new. */
  wroteOutbox?: boolean;
  failure?: { reason: string; poison: boolean };
}

const HEARTBEAT_SLICE_MS = 1000;

/** A handler failed in a run without savepoints: roll back, then apply it with savepoints. */
class IsolationNeeded extends Error {}
/** A run whose prelude wrote for every message was stopped early: roll it all back. */
class RunAbandoned extends Error {}
/** A readable reason, whatever was thrown: dead letters must say why. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    try {
      return JSON.stringify(err);
    } catch {
      return Object.prototype.toString.call(err);
    }
  }
  return String(err);
}

/**
 * Consumes through an inbox: a batch is applied in one transaction, a savepoint per message, and
 * each message id is recorded with its effect, so a redelivered message changes nothing.
 * - An infrastructure failure (database, network, timeout) rolls the batch back and is retried
 *   with capped backoff for as long as it lasts; the partition waits. Never dead-lettered.
 * - A message that breaks its contract, or whose handler keeps failing deterministically
 *   `maxAttempts` times, is dead-lettered with the reason (kept in the schema and sent to
 *   `<topic>.dlq`); the messages before it are committed and the partition moves on.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly preludes = new Map<string, AnyPrelude>();
  private subscription?: Subscription;
  private readonly stalls = new Map<string, InboxStall>();
  private readonly isTransient: (err: unknown) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly deadLetters: DeadLetters,
    private readonly options: InboxConsumerOptions,
  ) {
    this.isTransient = options.isTransient;
  }

  on<T extends Topic>(topic: T, handler: EventHandler<T>): void {
    if (this.subscription) throw new Error('inbox: register handlers before start()');
    if (this.handlers.has(topic)) throw new Error(`inbox: a handler for ${topic} already exists`);
    // The registry guarantees the payload class of the topic, checked in parseEnvelope.
    this.handlers.set(topic, handler as AnyHandler);
  }

  /** Registers a topic's run prelude; its handler must be registered too (see RunPrelude). */
  beforeRun<T extends Topic>(topic: T, prelude: RunPrelude<T>): void {
    if (this.subscription) throw new Error('inbox: register preludes before start()');
    if (this.preludes.has(topic)) throw new Error(`inbox: a prelude for ${topic} already exists`);
    this.preludes.set(topic, prelude as AnyPrelude);
  }

  topics(): string[] {
    return [...this.handlers.keys()];
  }

  /** Consumer state for readiness: a service without handlers has nothing to wait for. */
  state(): ConsumerState | 'idle' {
    if (this.handlers.size === 0) return 'idle';
    return this.subscription?.state() ?? 'stopped';
  }

  /** Partitions held back by an infrastructure failure right now. */
  stalled(): InboxStall[] {
    return [...this.stalls.values()];
  }

  start(): void {
    if (this.handlers.size === 0 || this.subscription) return;
    for (const topic of this.preludes.keys()) {
      if (!this.handlers.has(topic)) throw new Error(`inbox: a prelude for ${topic}, no handler`);
    }
    this.subscription = this.bus.subscribe(
      this.options.groupId,
      this.topics(),
      (batch, controls) => this.handleBatch(batch, controls),
      {
        concurrency: this.options.concurrency,
        maxBytesPerPartition: this.options.maxBytesPerPartition,
        coalesce: this.options.coalesce,
      },
    );
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  private async handleBatch(batch: IncomingBatch, controls: BatchControls): Promise<void> {
    const { messages } = batch;
    let next = 0;
    // Savepoints cost two round trips per message; a batch goes without them until a handler
    // fails deterministically, then the rest of it is applied one savepoint per message.
    let isolated = false;
    while (next < messages.length && controls.isActive()) {
      const from = next;
      const outcome = await this.untilItWorks(batch, controls, async () => {
        if (!isolated) {
          try {
            return await this.applyRun(messages, from, controls, false);
          } catch (err) {
            if (!(err instanceof IsolationNeeded)) throw err;
            isolated = true;
          }
        }
        return this.applyRun(messages, from, controls, true);
      });
      if (outcome === undefined) return;
      for (let k = from; k < from + outcome.applied; k++) controls.markProcessed(messages[k]);
      next = from + outcome.applied;
      // A kick costs the relay a transaction; lesson-completed batches mostly publish nothing.
      if (outcome.applied > 0 && outcome.wroteOutbox !== false) this.options.afterCommit?.();
      if (outcome.failure === undefined) continue;
      const settled = await this.settleFailure(batch, messages[next], outcome.failure, controls);
      if (!settled) return;
      controls.markProcessed(messages[next]);
      next += 1;
    }
  }

  /**
   * Applies messages from `from` in one transaction until one fails or the batch ends. Not
   * `isolated`, a deterministic handler failure throws IsolationNeeded and nothing commits.
   */
  private applyRun(
    messages: IncomingMessage[],
    from: number,
    controls: BatchControls,
    isolated: boolean,
  ): Promise<RunOutcome> {
    return this.dataSource
      .transaction(async (tx) => {
        const outcome = await this.applyMessages(tx, messages, from, controls, isolated);
        return { ...outcome, wroteOutbox: this.options.wroteOutbox?.(tx) ?? true };
      })
      .catch((err: unknown) => {
        if (err instanceof RunAbandoned) return { applied: 0, wroteOutbox: false };
        throw err;
      });
  }

  private async applyMessages(
    tx: EntityManager,
    messages: IncomingMessage[],
    from: number,
    controls: BatchControls,
    isolated: boolean,
  ): Promise<RunOutcome> {
    if (!isolated) return this.applyUnisolated(tx, messages, from, controls);
    let applied = 0;
    for (let i = from; i < messages.length && controls.isActive(); i++) {
      const parsed = this.parse(messages[i]);
      if (parsed.kind === 'poison')
        return { applied, failure: { reason: parsed.reason, poison: true } };
      await tx.query('SAVEPOINT inbox_message');
      try {
        await this.applyIn(tx, parsed, messages[i]);
        await tx.query('RELEASE SAVEPOINT inbox_message');
      } catch (err) {
        if (this.isTransient(err)) throw err;
        await tx.query('ROLLBACK TO SAVEPOINT inbox_message');
        return { applied, failure: { reason: describe(err), poison: false } };
      }
      applied += 1;
      await controls.heartbeat();
    }
    return { applied };
  }

  /**
   * The fast path: the run's message ids go into the inbox in one statement, and only the
   * messages it inserted (not applied before, first of their id in the run) reach a handler.
   * A deterministic failure throws IsolationNeeded and the whole run rolls back. Stopped early
   * (the partition was taken away), the ids of the messages not reached are taken out of the
   * inbox again, so what commits is exactly what was applied; after a prelude, which also wrote
   * for the messages not reached, nothing commits (RunAbandoned): the next owner applies them all.
   */
  private async applyUnisolated(
    tx: EntityManager,
    messages: IncomingMessage[],
    from: number,
    controls: BatchControls,
  ): Promise<RunOutcome> {
    const run: Array<Extract<Parsed, { kind: 'ok' }>> = [];
    const runMessages: IncomingMessage[] = [];
    let poison: string | undefined;
    for (let i = from; i < messages.length; i++) {
      const parsed = this.parse(messages[i]);
      if (parsed.kind === 'poison') {
        poison = parsed.reason;
        break;
      }
      run.push(parsed);
      runMessages.push(messages[i]);
    }
    const topic = messages[from]?.topic ?? '';
    const fresh = await this.recordInInbox(tx, run, topic);
    const prepared = await this.runPrelude(tx, topic, run, fresh);
    let applied = 0;
    for (const [k, parsed] of run.entries()) {
      if (!controls.isActive()) {
        if (prepared) throw new RunAbandoned('inbox: partition taken away mid-run');
        await this.forget(tx, fresh);
        return { applied };
      }
      // Deleted once applied: a second copy of the id in this run is a duplicate, skipped.
      // Postgres answers uuids in lower case, whatever case the producer wrote.
      if (fresh.delete(parsed.event.id.toLowerCase())) {
        const message = runMessages[k];
        const traceparent = message.headers.traceparent ?? parsed.event.traceparent;
        try {
          await inConsumeSpan(
            this.options.groupId,
            message.topic,
            parsed.event.id,
            traceparent,
            () => parsed.handler(parsed.event, tx),
          );
        } catch (err) {
          if (this.isTransient(err)) throw err;
          throw new IsolationNeeded('inbox: a handler failed in a run without savepoints', {
            cause: err,
          });
        }
      }
      applied += 1;
      await controls.heartbeat();
    }
    if (poison !== undefined) return { applied, failure: { reason: poison, poison: true } };
    return { applied };
  }

  private async runPrelude(
    tx: EntityManager,
    topic: string,
    run: ReadonlyArray<Extract<Parsed, { kind: 'ok' }>>,
    fresh: ReadonlySet<string>,
  ): Promise<boolean> {
    const prelude = this.preludes.get(topic);
    if (prelude === undefined || fresh.size === 0) return false;
    const pending = new Set(fresh);
    const events = run.map((p) => p.event).filter((e) => pending.delete(e.id.toLowerCase()));
    try {
      await prelude(events, tx);
    } catch (err) {
      if (this.isTransient(err)) throw err;
      throw new IsolationNeeded('inbox: a run prelude failed', { cause: err });
    }
    return true;
  }

  /** Inserts the ids into the inbox at once; answers those that were not there yet. */
  private async recordInInbox(
    tx: EntityManager,
    run: ReadonlyArray<Extract<Parsed, { kind: 'ok' }>>,
    topic: string,
  ): Promise<Set<string>> {
    if (run.length === 0) return new Set();
    const rows = await tx.query<Array<{ message_id: string }>>(
      `INSERT INTO inbox_messages (consumer, message_id, topic)
       SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id
       ON CONFLICT DO NOTHING RETURNING message_id::text`,
      [this.options.groupId, run.map((p) => p.event.id), topic],
    );
    return new Set(rows.map((r) => r.message_id));
  }

  /** Takes ids recorded by this run but never applied out of the inbox again. */
  private async forget(tx: EntityManager, notApplied: ReadonlySet<string>): Promise<void> {
    if (notApplied.size === 0) return;
    await tx.query(
      'DELETE FROM inbox_messages WHERE consumer = $1 AND message_id = ANY($2::uuid[])',
      [this.options.groupId, [...notApplied]],
    );
  }

  private applyIn(
    tx: EntityManager,
    parsed: Extract<Parsed, { kind: 'ok' }>,
    message: IncomingMessage,
  ): Promise<void> {
    const { topic } = message;
    const traceparent = message.headers.traceparent ?? parsed.event.traceparent;
    return inConsumeSpan(this.options.groupId, topic, parsed.event.id, traceparent, async () => {
      const inserted = await tx.query<unknown[]>(
        `INSERT INTO inbox_messages (consumer, message_id, topic) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [this.options.groupId, parsed.event.id, topic],
      );
      if (inserted.length > 0) await parsed.handler(parsed.event, tx);
    });
  }

  private parse(message: IncomingMessage): Parsed {
    let event: EventEnvelope<object>;
    try {
      event = parseEnvelope(message.value, message.topic);
    } catch (err) {
      if (err instanceof ContractViolation) return { kind: 'poison', reason: err.reason };
      return { kind: 'poison', reason: describe(err) };
    }
    const handler = this.handlers.get(message.topic);
    if (!handler) return { kind: 'poison', reason: `no handler for topic ${message.topic}` };
    return { kind: 'ok', event, handler };
  }

  /**
   * Retries a message that failed deterministically on its own, up to `maxAttempts` in all, then
   * dead-letters it. False when the partition was taken away meanwhile (nothing to commit).
   */
  private async settleFailure(
    batch: IncomingBatch,
    message: IncomingMessage,
    failure: { reason: string; poison: boolean },
    controls: BatchControls,
  ): Promise<boolean> {
    let reason = failure.reason;
    let attempt = 1;
    const parsed = this.parse(message);
    if (!failure.poison && parsed.kind === 'ok') {
      for (; attempt < this.options.maxAttempts; attempt++) {
        this.options.log('warn', 'inbox: handler failed, retrying', {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          messageId: parsed.event.id,
          attempt,
          reason,
        });
        if (!(await this.pause(this.options.retryBaseMs * 2 ** (attempt - 1), controls))) {
          return false;
        }
        const retried = await this.untilItWorks(batch, controls, async () => {
          try {
            await this.dataSource.transaction((tx) => this.applyIn(tx, parsed, message));
            return { ok: true as const };
          } catch (err) {
            if (this.isTransient(err) || !(await this.databaseReachable())) throw err;
            return { ok: false as const, reason: describe(err) };
          }
        });
        if (retried === undefined) return false;
        if (retried.ok) {
          this.options.afterCommit?.();
          return true;
        }
        reason = retried.reason;
      }
    }
    const recorded = await this.untilItWorks(batch, controls, async () => {
      await this.deadLetters.record(message, reason, attempt);
      return true;
    });
    if (recorded) {
      this.options.log('error', 'inbox: message dead-lettered', {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        attempts: attempt,
        reason,
      });
    }
    return recorded === true;
  }

  /**
   * Runs `work` until it stops failing with an infrastructure error, waiting with capped
   * exponential backoff and heartbeating meanwhile. Undefined when the partition is no longer
   * ours (stop, rebalance): the next owner redelivers.
   */
  private async untilItWorks<T>(
    batch: IncomingBatch,
    controls: BatchControls,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    const key = `${batch.topic}/${batch.partition}`;
    let delay = this.options.retryBaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await work();
        this.stalls.delete(key);
        return result;
      } catch (err) {
        if (!this.isTransient(err) && (await this.databaseReachable())) throw err;
        const stall = this.stalls.get(key);
        if (!stall) {
          this.stalls.set(key, { ...batch, since: new Date(), reason: describe(err) });
        }
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.log('warn', 'inbox: infrastructure failure, partition waits and retries', {
            topic: batch.topic,
            partition: batch.partition,
            attempt,
            reason: describe(err),
          });
        }
        if (!(await this.pause(delay, controls))) {
          this.stalls.delete(key);
          return undefined;
        }
        delay = Math.min(delay * 2, this.options.retryMaxMs);
      }
    }
  }

  /** Waits, heartbeating; false as soon as the partition is no longer ours. */
  private async pause(ms: number, controls: BatchControls): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!controls.isActive()) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(HEARTBEAT_SLICE_MS, until - Date.now())),
      );
      await controls.heartbeat().catch(() => undefined);
    }
    return controls.isActive();
  }

  private async databaseReachable(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
