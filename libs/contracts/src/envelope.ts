import { randomUUID } from 'node:crypto';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Min,
} from 'class-validator';
import { ALL_TOPICS, Topic } from './topics';

/** The wrapper every event travels in; the same shape on every topic. */
export interface EventEnvelope<TPayload = unknown> {
  /** Unique message id (UUID); consumers use it to drop duplicates. */
  id: string;
  /** Event type: the topic name of the fact, e.g. `lesson-completed`. */
  type: Topic;
  /** Payload schema version; a breaking change is a new version. */
  version: number;
  /** When the fact happened (ISO 8601, UTC). */
  occurredAt: string;
  /** Name of the service that published it. */
  producer: string;
  /** Aggregate id; used as the Kafka message key so one entity's events stay ordered. */
  key: string;
  /** W3C traceparent of the operation that caused it, when there was one. */
  traceparent?: string;
  payload: TPayload;
}

/** Validation class for the envelope fields (the payload is validated by its own class). */
export class EnvelopeFields {
  @IsUUID()
  id!: string;

  @IsIn(ALL_TOPICS)
  type!: Topic;

  @IsInt()
  @Min(1)
  version!: number;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsString()
  producer!: string;

  @IsString()
  key!: string;

  @IsOptional()
  @Matches(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
  traceparent?: string;

  @IsObject()
  payload!: object;
}

export interface NewEvent<TPayload> {
  type: Topic;
  version: number;
  producer: string;
  key: string;
  payload: TPayload;
  occurredAt: Date;
  traceparent?: string;
  id?: string;
}

export function createEnvelope<TPayload>(event: NewEvent<TPayload>): EventEnvelope<TPayload> {
  return {
    id: event.id ?? randomUUID(),
    type: event.type,
    version: event.version,
    occurredAt: event.occurredAt.toISOString(),
    producer: event.producer,
    key: event.key,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    payload: event.payload,
  };
}
