import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

export interface ServiceDataSourceInput {
  service: string;
  url: string;
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
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
    poolSize: input.poolSize ?? 10,
    extra: { connectionTimeoutMillis: 5000, options: `-c search_path=${input.schema}` },
  };
  return new DataSource(options);
}
