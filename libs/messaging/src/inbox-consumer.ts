import {
  ContractViolation,
  deadLetterTopic,
  EventEnvelope,
  parseEnvelope,
  PayloadOf,
  Topic,
} from '@rewards/contracts';
import { DataSource, EntityManager } from 'typeorm';
import {
  BatchControls,
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

export interface InboxConsumerOptions {
  groupId: string;
  /** Attempts per message before it is dead-lettered. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  retryBaseMs: number;
  log: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
  /** Called after a transaction that may have written outbox rows commits. */
  afterCommit?: () => void;
  now?: () => Date;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumes through an inbox: the message id is recorded in the same transaction as the effect,
 * so a redelivered message changes nothing. A message that breaks its contract, or fails
 * `maxAttempts` times while the database is reachable, goes to `<topic>.dlq` with the reason and
 * the partition moves on. Handlers receive the transaction, so a later version of this class can
 * apply many messages in one transaction without changing any handler.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, AnyHandler>();
  private subscription?: Subscription;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly options: InboxConsumerOptions,
  ) {}

  on<T extends Topic>(topic: T, handler: EventHandler<T>): void {
    if (this.subscription) throw new Error('inbox: register handlers before start()');
    if (this.handlers.has(topic)) throw new Error(`inbox: a handler for ${topic} already exists`);
    // The registry guarantees the payload class of the topic, checked in parseEnvelope.
    this.handlers.set(topic, handler as AnyHandler);
  }

  topics(): string[] {
    return [...this.handlers.keys()];
  }

  async start(): Promise<void> {
    if (this.handlers.size === 0) return;
    this.subscription = await this.bus.subscribe(
      this.options.groupId,
      this.topics(),
      (batch, controls) => this.handleBatch(batch, controls),
    );
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private async handleBatch(batch: IncomingBatch, controls: BatchControls): Promise<void> {
    for (const message of batch.messages) {
      if (!controls.isActive()) return;
      await this.handleMessage(message, controls);
      controls.markProcessed(message);
    }
  }

  private async handleMessage(message: IncomingMessage, controls: BatchControls): Promise<void> {
    let event: EventEnvelope<object>;
    try {
      event = parseEnvelope(message.value, message.topic);
    } catch (err) {
      if (err instanceof ContractViolation) return this.deadLetter(message, err.reason);
      throw err;
    }
    const handler = this.handlers.get(message.topic);
    if (!handler) return this.deadLetter(message, `no handler for topic ${message.topic}`);

    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyOnce(event, message.topic, handler);
        return;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (attempt >= this.options.maxAttempts) {
          if (!(await this.databaseReachable())) {
            // An outage is not the message's fault: give up the batch so it is redelivered later.
            throw err;
          }
          return this.deadLetter(message, `failed ${attempt} times: ${reason}`);
        }
        this.options.log('warn', 'inbox: handler failed, retrying', {
          topic: message.topic,
          offset: message.offset,
          messageId: event.id,
          attempt,
          reason,
        });
        await sleep(this.options.retryBaseMs * 2 ** (attempt - 1));
        await controls.heartbeat();
      }
    }
  }

  private async applyOnce(
    event: EventEnvelope<object>,
    topic: string,
    handler: AnyHandler,
  ): Promise<void> {
    const applied = await this.dataSource.transaction(async (tx) => {
      const inserted = await tx.query<unknown[]>(
        `INSERT INTO inbox_messages (consumer, message_id, topic) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [this.options.groupId, event.id, topic],
      );
      if (inserted.length === 0) return false;
      await handler(event, tx);
      return true;
    });
    if (applied) this.options.afterCommit?.();
  }

  private async databaseReachable(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    this.options.log('error', 'inbox: message dead-lettered', {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      reason,
    });
    const now = this.options.now?.() ?? new Date();
    await this.bus.send([
      {
        topic: deadLetterTopic(message.topic),
        key: message.key ?? '',
        value: message.value?.toString() ?? '',
        headers: {
          ...message.headers,
          'dlq-reason': reason.slice(0, 1000),
          'dlq-original-topic': message.topic,
          'dlq-original-partition': String(message.partition),
          'dlq-original-offset': message.offset,
          'dlq-consumer-group': this.options.groupId,
          'dlq-failed-at': now.toISOString(),
        },
      },
    ]);
  }
}
