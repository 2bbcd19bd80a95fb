import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CurrentEvents, createEnvelope, EventEnvelope, PayloadOf, Topic } from '@rewards/contracts';
import { EntityManager } from 'typeorm';

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
  constructor(private readonly producer: string) {}

  async add<T extends Topic>(
    tx: EntityManager,
    topic: T,
    key: string,
    payload: PayloadOf<T>,
    context: OutboxContext,
  ): Promise<EventEnvelope<PayloadOf<T>>> {
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
      traceparent: context.traceparent,
    });
    await tx.query(
      'INSERT INTO outbox_messages (id, topic, key, envelope) VALUES ($1, $2, $3, $4)',
      [envelope.id, topic, key, JSON.stringify(envelope)],
    );
    return envelope;
  }
}
