/**
 * What the inbox makes of one incoming message: its event, checked against the topic's contract,
 * with the handler registered for the topic, or the reason it is poison; and the readable reason
 * of any failure, which retries log and dead letters keep.
 */
import { ContractViolation, EventEnvelope, parseEnvelope } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { IncomingMessage } from './message-bus';

export type AnyHandler = (event: EventEnvelope<object>, tx: EntityManager) => Promise<void>;

export type Parsed =
  | { kind: 'ok'; event: EventEnvelope<object>; handler: AnyHandler }
  | { kind: 'poison'; reason: string };

/** A message whose event is valid and has a handler. */
export type ParsedOk = Extract<Parsed, { kind: 'ok' }>;

/** A readable reason, whatever was thrown: dead letters must say why. */
export function describe(err: unknown): string {
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

export function parseMessage(
  message: IncomingMessage,
  handlers: ReadonlyMap<string, AnyHandler>,
): Parsed {
  let event: EventEnvelope<object>;
  try {
    event = parseEnvelope(message.value, message.topic);
  } catch (err) {
    if (err instanceof ContractViolation) return { kind: 'poison', reason: err.reason };
    return { kind: 'poison', reason: describe(err) };
  }
  const handler = handlers.get(message.topic);
  if (!handler) return { kind: 'poison', reason: `no handler for topic ${message.topic}` };
  return { kind: 'ok', event, handler };
}
