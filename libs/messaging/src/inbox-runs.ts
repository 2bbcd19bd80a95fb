/**
 * The application of a batch's messages in the inbox: a run of them in one transaction, each
 * message id recorded in the inbox with its effect, so a redelivered message changes nothing.
 * Without savepoints on the fast path; a savepoint per message once a handler has failed.
 */
import { EventEnvelope } from '@rewards/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { InboxConsumerOptions } from './inbox-consumer-options';
import { AnyHandler, describe, Parsed, parseMessage, ParsedOk } from './inbox-message';
import { inConsumeSpan } from './message-tracing';
import { BatchControls, IncomingMessage } from './message-bus';

export type AnyPrelude = (events: Array<EventEnvelope<object>>, tx: EntityManager) => Promise<void>;

export interface RunOutcome {
  applied: number;
  /** False when the run's transaction wrote no outbox rows: the relay has nothing new. */
  wroteOutbox?: boolean;
  failure?: { reason: string; poison: boolean };
}

/** A handler failed in a run without savepoints: roll back, then apply it with savepoints. */
export class IsolationNeeded extends Error {}
/** A run whose prelude wrote for every message was stopped early: roll it all back. */
class RunAbandoned extends Error {}

export class InboxRuns {
  private readonly isTransient: (err: unknown) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: InboxConsumerOptions,
    private readonly handlers: ReadonlyMap<string, AnyHandler>,
    private readonly preludes: ReadonlyMap<string, AnyPrelude>,
  ) {
    this.isTransient = options.isTransient;
  }

  parse(message: IncomingMessage): Parsed {
    return parseMessage(message, this.handlers);
  }

  /**
   * Applies messages from `from` in one transaction until one fails or the batch ends. Not
   * `isolated`, a deterministic handler failure throws IsolationNeeded and nothing commits.
   */
  applyRun(
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

  /** Records one message in the inbox and, if it was not there yet, applies it. */
  applyIn(tx: EntityManager, parsed: ParsedOk, message: IncomingMessage): Promise<void> {
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
    const run: ParsedOk[] = [];
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
    run: ReadonlyArray<ParsedOk>,
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
    run: ReadonlyArray<ParsedOk>,
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
}
