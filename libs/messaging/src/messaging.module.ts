import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InboxConsumer } from './inbox-consumer';
import { KafkaJsMessageBus } from './kafkajs-message-bus';
import { MessageBus } from './message-bus';
import { OutboxRelay } from './outbox-relay';
import { OutboxWriter } from './outbox';

export interface MessagingOptions {
  brokers: string[];
  clientId: string;
  /** Consumer group, and the inbox's consumer name. */
  groupId: string;
  /** Written into every envelope this service publishes. */
  producer: string;
  outboxPollIntervalMs: number;
  consumerMaxAttempts: number;
  consumerRetryBaseMs: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

/** Starts the relay and the consumer once every handler registered; stops them before shutdown. */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private stopping = false;
  private starting?: Promise<void>;

  constructor(
    private readonly relay: OutboxRelay,
    private readonly inbox: InboxConsumer,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
    // Kafka may come up after us: keep trying in the background; readiness reports the gap.
    this.starting = this.startConsumer();
  }

  private async startConsumer(): Promise<void> {
    for (let delay = 500; !this.stopping; delay = Math.min(delay * 2, 10_000)) {
      try {
        await this.inbox.start();
        return;
      } catch (err) {
        this.logger.warn(`consumer failed to start, retrying in ${delay} ms: ${String(err)}`);
        await this.inbox.stop().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.inbox.stop();
    await this.relay.stop();
    await this.relay.drain();
    await this.bus.close();
  }
}

@Global()
@Module({})
export class MessagingModule {
  static forRootAsync(options: {
    imports?: DynamicModule['imports'];
    inject: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...args: never[]) => MessagingOptions;
  }): DynamicModule {
    const logger = new Logger('Messaging');
    const log = (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) =>
      level === 'error' ? logger.error({ message, ...extra }) : logger.warn({ message, ...extra });
    return {
      module: MessagingModule,
      imports: options.imports,
      providers: [
        { provide: MESSAGING_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: MESSAGE_BUS,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) =>
            new KafkaJsMessageBus({ brokers: o.brokers, clientId: o.clientId, log }),
        },
        {
          provide: OutboxWriter,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) => new OutboxWriter(o.producer),
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, MESSAGE_BUS, MESSAGING_OPTIONS],
          useFactory: (ds: DataSource, bus: MessageBus, o: MessagingOptions) =>
            new OutboxRelay(ds, bus, `${o.producer}:outbox`, {
              pollIntervalMs: o.outboxPollIntervalMs,
              batchSize: 200,
              retentionMs: 7 * 24 * 3600 * 1000,
              onError: (err) => logger.error({ message: 'outbox relay failed', err: String(err) }),
            }),
        },
        {
          provide: InboxConsumer,
          inject: [DataSource, MESSAGE_BUS, MESSAGING_OPTIONS, OutboxRelay],
          useFactory: (ds: DataSource, bus: MessageBus, o: MessagingOptions, relay: OutboxRelay) =>
            new InboxConsumer(ds, bus, {
              groupId: o.groupId,
              maxAttempts: o.consumerMaxAttempts,
              retryBaseMs: o.consumerRetryBaseMs,
              log,
              afterCommit: () => relay.kick(),
            }),
        },
        MessagingLifecycle,
      ],
      exports: [MESSAGE_BUS, OutboxWriter, OutboxRelay, InboxConsumer],
    };
  }
}
