import {
  Equals,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { BaseServiceConfig } from './base-service-config';
import { IsAtLeast, toBool, toInt } from './config-decorators';
import { DEFAULT_POOL_SIZE } from './database';

export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/**
 * Variables of a service that owns a schema and talks to Kafka: its database and pool, its
 * brokers and credentials, and the bounds of its outbox relay and inbox consumer.
 */
export class DataServiceConfig extends BaseServiceConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*$/)
  DATABASE_SCHEMA?: string = undefined;

  /**
   * Repeated parameterized statements prepared once per connection, at most this many per
   * connection; 0 turns it off (behind a transaction-pooling proxy such as PgBouncer in
   * transaction mode, where a session's prepared statements do not follow it).
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(10_000)
  DATABASE_STATEMENT_CACHE_SIZE: number = 200;

  /**
   * Connections the service's pool opens at start and keeps open (its pool holds at most
   * DEFAULT_POOL_SIZE). A new Postgres connection costs a backend process, authentication and
   * cold caches; with none kept, a pool reusing its most recent connections lets the others
   * idle out after 10 s of steady load and opens them again at the next burst, when the cost
   * hurts most. 0: open on demand, close after 10 s idle.
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(DEFAULT_POOL_SIZE)
  DATABASE_POOL_MIN: number = DEFAULT_POOL_SIZE;

  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS!: string;

  @IsOptional()
  @IsString()
  KAFKA_CLIENT_ID?: string = undefined;

  /** TLS to the brokers. Required in production whenever SASL credentials are sent. */
  @toBool()
  @ValidateIf((c: DataServiceConfig) => c.NODE_ENV === 'production' && !!c.KAFKA_SASL_MECHANISM)
  @Equals(true, {
    message: 'KAFKA_SSL must be true when NODE_ENV=production sends SASL credentials',
  })
  KAFKA_SSL: boolean = false;

  /** PEM file of the CA that signed the brokers' certificates (Strimzi: the cluster CA). */
  @IsOptional()
  @IsString()
  KAFKA_SSL_CA_FILE?: string = undefined;

  /** SASL mechanism of the service's Kafka user; unset means no authentication. */
  @IsOptional()
  @IsIn(KAFKA_SASL_MECHANISMS)
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism = undefined;

  @ValidateIf((c: DataServiceConfig) => !!c.KAFKA_SASL_MECHANISM)
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string = undefined;

  @ValidateIf((c: DataServiceConfig) => !!c.KAFKA_SASL_MECHANISM)
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_PASSWORD?: string = undefined;

  /**
   * How often an idle relay looks for unpublished events (one statement). Every commit that
   * wrote to the outbox kicks it at once; the poll only catches what a kick missed.
   */
  @toInt()
  @IsInt()
  @Min(10)
  OUTBOX_POLL_INTERVAL_MS: number = 1000;

  /**
   * The least time between the start of one relay drain and a drain that a commit's kick starts.
   * A kick after a quiet spell publishes at once; under load, the commits of one interval are
   * published together (a batch per commit costs four statements and a send each), so an event
   * waits at most this long for its drain. At 100 checkouts a second, a 200 ms interval cut the
   * checkout's CPU by about a tenth against the 50 ms delay before it (bench/README.md).
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(5000)
  OUTBOX_KICK_INTERVAL_MS: number = 200;

  @toInt()
  @IsInt()
  @Min(1)
  CONSUMER_MAX_ATTEMPTS: number = 5;

  @toInt()
  @IsInt()
  @Min(0)
  CONSUMER_RETRY_BASE_MS: number = 200;

  /** Ceiling of the backoff while an infrastructure failure holds a partition. */
  @toInt()
  @IsInt()
  @Min(100)
  CONSUMER_RETRY_MAX_MS: number = 30_000;

  /** Partitions applied at once, each in its own database transaction. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(64)
  CONSUMER_CONCURRENCY: number = 3;

  /**
   * How long an idle consumer's fetch waits for data. Kafka answers as soon as data arrives, so
   * a long wait costs no latency there and spares an idle service most of its fetches; the
   * embedded mock answers only at the deadline, so the local platform and tests set 200.
   */
  @toInt()
  @IsInt()
  @Min(10)
  @Max(30_000)
  KAFKA_FETCH_MAX_WAIT_MS: number = 1000;

  /**
   * A consumer silent this long is evicted from its group, so a replica that died without leaving
   * is replaced about this soon. A broker also makes a group's rebalance wait about as long for
   * its members to rejoin. 6 s is Kafka's smallest by default (group.min.session.timeout.ms).
   */
  @toInt()
  @IsInt()
  @Min(6000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS: number = 10_000;

  /** Bounds one fetch per partition. */
  @toInt()
  @IsInt()
  @Min(1024)
  CONSUMER_MAX_BYTES_PER_PARTITION: number = 262_144;

  /**
   * A partition that is behind has its fetches gathered into one batch transaction of up to this
   * many messages (1: never gathered); CONSUMER_COALESCE_MAX_BYTES and _MAX_AGE_MS bound it too.
   */
  @toInt()
  @IsInt()
  @Min(1)
  CONSUMER_COALESCE_MAX_MESSAGES: number = 500;

  @toInt()
  @IsInt()
  @Min(1024)
  CONSUMER_COALESCE_MAX_BYTES: number = 1_048_576;

  /** How long a lagging partition's first fetched message may wait for the rest of its batch. */
  @toInt()
  @IsInt()
  @Min(0)
  CONSUMER_COALESCE_MAX_AGE_MS: number = 200;

  /** How long published events stay in the outbox, to refill a broker that lost them. */
  @toInt()
  @IsInt()
  @Min(60_000)
  OUTBOX_RETENTION_MS: number = 7 * 24 * 3600 * 1000;

  /** How long applied message ids are remembered; at least OUTBOX_RETENTION_MS. */
  @toInt()
  @IsInt()
  @Min(60_000)
  @IsAtLeast('OUTBOX_RETENTION_MS')
  INBOX_RETENTION_MS: number = 8 * 24 * 3600 * 1000;

  /** How often the relay asks the broker whether it still has what was published. */
  @toInt()
  @IsInt()
  @Min(500)
  KAFKA_LOSS_CHECK_INTERVAL_MS: number = 5000;
}
