import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { statementCachingClient } from './statement-cache';

/** Connections a service's pool holds at most, unless its DataSource asks for another size. */
export const DEFAULT_POOL_SIZE = 10;

export interface ServiceDataSourceInput {
  service: string;
  url: string;
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  /** Cancels a statement running longer (0: no limit, e.g. for migrations). */
  statementTimeoutMs?: number;
  /** Fails a statement waiting longer for a lock. */
  lockTimeoutMs?: number;
}

/**
 * The one DataSource definition of a service, used by the app, its migration command and its
 * tests. Schema changes only ever come from migration files.
 */
export function createServiceDataSource(input: ServiceDataSourceInput): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    url: input.url,
    schema: input.schema,
    entities: input.entities,
    migrations: input.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    applicationName: input.service,
    poolSize: input.poolSize ?? DEFAULT_POOL_SIZE,
    extra: {
      connectionTimeoutMillis: 5000,
      // A hung query or a lock held by a stuck session must not stall a partition forever:
      // the statement fails, the inbox treats that as infrastructure and retries.
      options: sessionOptions(input.schema, {
        statementTimeoutMs: input.statementTimeoutMs ?? 15_000,
        lockTimeoutMs: input.lockTimeoutMs ?? 5000,
      }),
      keepAlive: true,
    },
  };
  return new DataSource(options);
}

function sessionOptions(
  schema: string,
  timeouts: { statementTimeoutMs: number; lockTimeoutMs: number },
): string {
  return [
    `-c search_path=${schema}`,
    `-c statement_timeout=${timeouts.statementTimeoutMs}`,
    `-c lock_timeout=${timeouts.lockTimeoutMs}`,
    '-c idle_in_transaction_session_timeout=60000',
  ].join(' ');
}

/**
 * Lifts the statement and lock timeouts of a DataSource not yet initialised: migrations may
 * build indexes for minutes, and replicas wait for the migration lock as long as it takes.
 */
export function withoutTimeouts(dataSource: DataSource): DataSource {
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const extra = (dataSource.options.extra ?? {}) as Record<string, unknown>;
  dataSource.setOptions({
    extra: {
      ...extra,
      options: sessionOptions(schema, { statementTimeoutMs: 0, lockTimeoutMs: 0 }),
    },
  });
  return dataSource;
}

/**
 * Makes the pool of a DataSource not yet initialised prepare repeated statements once per
 * connection (statementCachingClient), up to `maxStatements` names each; 0 leaves it unnamed.
 */
export function withStatementCache(dataSource: DataSource, maxStatements: number): DataSource {
  if (!Number.isInteger(maxStatements) || maxStatements <= 0) return dataSource;
  const extra = (dataSource.options.extra ?? {}) as Record<string, unknown>;
  dataSource.setOptions({ extra: { ...extra, Client: statementCachingClient(maxStatements) } });
  return dataSource;
}

/**
 * Makes the pool of a DataSource not yet initialised keep `min` connections open instead of
 * closing those idle for 10 s (see DATABASE_POOL_MIN); openPoolConnections opens them.
 */
export function withMinimumPool(dataSource: DataSource, min: number): DataSource {
  if (!Number.isInteger(min) || min <= 0) return dataSource;
  const extra = (dataSource.options.extra ?? {}) as Record<string, unknown>;
  dataSource.setOptions({ extra: { ...extra, min } });
  return dataSource;
}

/**
 * Opens up to `count` connections of an initialised DataSource's pool at once and gives them
 * back, so the first burst of work finds them ready. Best effort: a connection that cannot be
 * opened now is opened when work needs it, as it would have been anyway.
 */
export async function openPoolConnections(dataSource: DataSource, count: number): Promise<number> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool || count <= 0) return 0;
  const opened = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  let ready = 0;
  for (const result of opened) {
    if (result.status === 'fulfilled') {
      result.value.release();
      ready += 1;
    }
  }
  return ready;
}

/** What openPoolConnections needs of pg's Pool. */
interface PgPool {
  connect(): Promise<{ release(): void }>;
}
