import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxConsumer, MESSAGE_BUS, MessageBus, MessagingModule } from '@rewards/messaging';
import { DataSource } from 'typeorm';
import { InternalIdentityGuard } from './caller';
import { Clock, SystemClock } from './clock';
import { DataServiceConfig } from './data-service-config';
import { openPoolConnections, withMinimumPool, withStatementCache } from './database';
import { HealthModule } from './health';
import { JobScheduler } from './jobs/job-scheduler';
import { kafkaSecurity } from './kafka-security';
import { MessagingGauges, MetricsModule, ServiceMetrics } from './metrics';
import { isTransientInfrastructureError } from './transient-errors';

export interface DataServiceOptions {
  service: string;
  config: DataServiceConfig;
  dataSource: () => DataSource;
  /** Replaces the system clock (tests move time with a ManualClock). */
  clock?: Clock;
}

/**
 * The wiring every service that owns a schema shares: its DataSource, Kafka messaging through
 * the outbox and inbox, health checks of both, the clock, the job scheduler, and the caller
 * identity the gateway (or a calling service) signs.
 */
@Module({})
export class DataServiceModule {
  static forRoot(options: DataServiceOptions): DynamicModule {
    const { config, service } = options;
    return {
      module: DataServiceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({}),
          dataSourceFactory: async () => {
            const dataSource = await withMinimumPool(
              withStatementCache(options.dataSource(), config.DATABASE_STATEMENT_CACHE_SIZE),
              config.DATABASE_POOL_MIN,
            ).initialize();
            await openPoolConnections(dataSource, config.DATABASE_POOL_MIN);
            return dataSource;
          },
        }),
        MetricsModule,
        MessagingModule.forRootAsync({
          inject: [ServiceMetrics],
          useFactory: (metrics: ServiceMetrics) => ({
            observer: metrics,
            brokers: config.KAFKA_BROKERS.split(','),
            clientId: config.KAFKA_CLIENT_ID ?? service,
            security: kafkaSecurity(config),
            groupId: service,
            producer: service,
            outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
            outboxKickIntervalMs: config.OUTBOX_KICK_INTERVAL_MS,
            outboxRetentionMs: config.OUTBOX_RETENTION_MS,
            inboxRetentionMs: config.INBOX_RETENTION_MS,
            brokerCheckIntervalMs: config.KAFKA_LOSS_CHECK_INTERVAL_MS,
            consumerMaxAttempts: config.CONSUMER_MAX_ATTEMPTS,
            consumerRetryBaseMs: config.CONSUMER_RETRY_BASE_MS,
            consumerRetryMaxMs: config.CONSUMER_RETRY_MAX_MS,
            consumerConcurrency: config.CONSUMER_CONCURRENCY,
            consumerMaxBytesPerPartition: config.CONSUMER_MAX_BYTES_PER_PARTITION,
            consumerFetchMaxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS,
            consumerSessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
            consumerCoalesce: {
              maxMessages: config.CONSUMER_COALESCE_MAX_MESSAGES,
              maxBytes: config.CONSUMER_COALESCE_MAX_BYTES,
              maxAgeMs: config.CONSUMER_COALESCE_MAX_AGE_MS,
            },
            shutdownDrainMs: 5000,
            isTransient: isTransientInfrastructureError,
          }),
        }),
        HealthModule.forRoot({
          inject: [DataSource, MESSAGE_BUS, InboxConsumer],
          useFactory: (dataSource: DataSource, bus: MessageBus, inbox: InboxConsumer) => [
            { name: 'postgres', check: async () => void (await dataSource.query('SELECT 1')) },
            { name: 'kafka', check: () => bus.ping() },
            {
              name: 'consumer',
              check: () => {
                const state = inbox.state();
                if (state !== 'running' && state !== 'idle') {
                  throw new Error(`consumer ${state}`);
                }
                return Promise.resolve();
              },
            },
          ],
        }),
      ],
      providers: [
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        MessagingGauges,
        {
          provide: APP_GUARD,
          useValue: new InternalIdentityGuard({ service, key: config.INTERNAL_AUTH_KEY }),
        },
        JobScheduler,
      ],
      exports: [Clock, JobScheduler],
    };
  }
}
