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
import { TOPIC_CONSUMERS } from '@rewards/contracts';
import { DataSource } from 'typeorm';
import { BrokerWatch } from './broker-watch';
import { DeadLetters } from './dead-letters';
import { InboxConsumer } from './inbox-consumer';
import { MessagingLog } from './inbox-consumer-options';
import { InboxTransport } from './inbox-transport';
import { KafkaJsMessageBus, KafkaSecurity } from './kafkajs-message-bus';
import { CoalesceBounds, MessageBus } from './message-bus';
import { MessagingObserver } from './messaging-observer';
import { MessagingRetention } from './messaging-retention';
import { kickAfterOutboxCommit, OutboxRelay } from './outbox-relay';
import { OutboxWriter } from './outbox';

export interface MessagingOptions {
  brokers: string[];
  clientId: string;
  /** TLS and SASL credentials of this service's Kafka user. */
  security?: KafkaSecurity;
  /** Metrics of what the relay, the inbox and retention do. */
  observer?: MessagingObserver;
  /** Consumer group, and the inbox's consumer name. */
  groupId: string;
  /** Written into every envelope this service publishes. */
  producer: string;
  outboxPollIntervalMs: number;
  /** See OutboxRelayOptions.kickIntervalMs. */
  outboxKickIntervalMs?: number;
  outboxRetentionMs: number;
  inboxRetentionMs: number;
  brokerCheckIntervalMs: number;
  consumerMaxAttempts: number;
  consumerRetryBaseMs: number;
  consumerRetryMaxMs: number;
  consumerConcurrency: number;
  consumerMaxBytesPerPartition: number;
  /** How long an idle fetch waits for data (see KafkaJsBusOptions.fetchMaxWaitMs). */
  consumerFetchMaxWaitMs?: number;
  /** A member silent this long is evicted (see KafkaJsBusOptions.sessionTimeoutMs). */
  consumerSessionTimeoutMs?: number;
  /** Bounds of a batch coalesced from a lagging partition's fetches; unset, never coalesced. */
  consumerCoalesce?: CoalesceBounds;
  /** Bounds the final outbox drain on shutdown. */
  shutdownDrainMs: number;
  /** Tells infrastructure failures (retried indefinitely) from deterministic ones. */
  isTransient: (err: unknown) => boolean;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

const RETENTION_PURGE_INTERVAL_MS = 10 * 60_000;

/** Starts the relay and retention; on shutdown stops consuming, publishes what is left, closes. */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Messaging');

  constructor(
    private readonly relay: OutboxRelay,
    private readonly inbox: InboxConsumer,
    private readonly retention: MessagingRetention,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
    this.retention.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.retention.stop();
    // The batch in hand finishes and commits; whatever it caused is published below.
    await this.inbox.stop();
    await this.relay.stop();
    const drained = await Promise.race([
      this.relay.drain().then(() => true),
      new Promise<false>((resolve) =>
        setTimeout(() => resolve(false), this.options.shutdownDrainMs).unref(),
      ),
    ]);
    if (!drained) this.logger.warn('outbox not fully published at shutdown; the next start will');
    await this.bus.close();
  }
}

function messagingLog(logger: Logger): MessagingLog {
  return (level, message, extra) =>
    level === 'error' ? logger.error({ message, ...extra }) : logger.warn({ message, ...extra });
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
    const log = messagingLog(logger);
    return {
      module: MessagingModule,
      imports: options.imports,
      providers: [
        { provide: MESSAGING_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: MESSAGE_BUS,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) =>
            new KafkaJsMessageBus({
              brokers: o.brokers,
              clientId: o.clientId,
              security: o.security,
              fetchMaxWaitMs: o.consumerFetchMaxWaitMs,
              sessionTimeoutMs: o.consumerSessionTimeoutMs,
              onLag: (topic, partition, lag) => o.observer?.consumerLag(topic, partition, lag),
              onAssigned: (_group, assignment) => o.observer?.consumerAssigned(assignment),
              onRestart: (group, restartedBy) => o.observer?.consumerRestarted(group, restartedBy),
              log,
            }),
        },
        {
          provide: OutboxWriter,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) => new OutboxWriter(o.producer),
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, MESSAGE_BUS, MESSAGING_OPTIONS, OutboxWriter],
          useFactory: (
            ds: DataSource,
            bus: MessageBus,
            o: MessagingOptions,
            outbox: OutboxWriter,
          ) =>
            withCommitKicks(
              ds,
              outbox,
              new OutboxRelay(
                ds,
                bus,
                `${o.producer}:outbox`,
                new BrokerWatch(
                  bus,
                  (message, extra) => log('warn', message, extra),
                  TOPIC_CONSUMERS,
                ),
                {
                  pollIntervalMs: o.outboxPollIntervalMs,
                  kickIntervalMs: o.outboxKickIntervalMs,
                  batchSize: 200,
                  brokerCheckIntervalMs: o.brokerCheckIntervalMs,
                  onError: (err) =>
                    logger.error({ message: 'outbox relay failed', err: String(err) }),
                  onPublished: (envelopes, replay) => o.observer?.published(envelopes, replay),
                  service: o.producer,
                },
              ),
            ),
        },
        {
          provide: MessagingRetention,
          inject: [DataSource, MESSAGING_OPTIONS],
          useFactory: (ds: DataSource, o: MessagingOptions) =>
            new MessagingRetention(ds, {
              outboxRetentionMs: o.outboxRetentionMs,
              inboxRetentionMs: o.inboxRetentionMs,
              intervalMs: RETENTION_PURGE_INTERVAL_MS,
              onError: (err) =>
                logger.error({ message: 'retention purge failed', err: String(err) }),
              onPurged: ({ outbox, inbox }) => {
                o.observer?.purged('outbox', outbox);
                o.observer?.purged('inbox', inbox);
              },
            }),
        },
        {
          provide: DeadLetters,
          inject: [DataSource, MESSAGE_BUS, MESSAGING_OPTIONS],
          useFactory: (ds: DataSource, bus: MessageBus, o: MessagingOptions) =>
            new DeadLetters(ds, bus, o.groupId, undefined, (topic) =>
              o.observer?.deadLettered(topic),
            ),
        },
        {
          provide: InboxConsumer,
          inject: [
            DataSource,
            MESSAGE_BUS,
            DeadLetters,
            MESSAGING_OPTIONS,
            OutboxRelay,
            OutboxWriter,
          ],
          useFactory: (
            ds: DataSource,
            bus: MessageBus,
            deadLetters: DeadLetters,
            o: MessagingOptions,
            relay: OutboxRelay,
            outbox: OutboxWriter,
          ) =>
            new InboxConsumer(ds, bus, deadLetters, {
              groupId: o.groupId,
              maxAttempts: o.consumerMaxAttempts,
              retryBaseMs: o.consumerRetryBaseMs,
              retryMaxMs: o.consumerRetryMaxMs,
              concurrency: o.consumerConcurrency,
              maxBytesPerPartition: o.consumerMaxBytesPerPartition,
              coalesce: o.consumerCoalesce,
              isTransient: o.isTransient,
              log,
              afterCommit: () => relay.kick(),
              wroteOutbox: (tx) => outbox.wroteIn(tx),
            }),
        },
        {
          provide: InboxTransport,
          inject: [InboxConsumer],
          useFactory: (i: InboxConsumer) => new InboxTransport(i),
        },
        MessagingLifecycle,
      ],
      exports: [MESSAGE_BUS, OutboxWriter, OutboxRelay, InboxConsumer, InboxTransport, DeadLetters],
    };
  }
}

function withCommitKicks(ds: DataSource, outbox: OutboxWriter, relay: OutboxRelay): OutboxRelay {
  kickAfterOutboxCommit(ds, outbox, relay);
  return relay;
}
