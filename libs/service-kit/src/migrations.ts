import { IsIn, IsInt, IsOptional, Matches, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { loadConfig } from './config';
import { toInt } from './config-decorators';
import { withoutTimeouts } from './database';

/**
 * What the `migrate` command reads: a migration needs the database and nothing else (no Kafka, no
 * Stripe keys), so a migration Job carries only the owner role's connection.
 */
export class MigrationConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*$/)
  DATABASE_SCHEMA?: string = undefined;

  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  /** `--wait` only: how long to wait for the migration Job before failing (the pod retries). */
  @toInt()
  @IsInt()
  @Min(0)
  MIGRATIONS_WAIT_TIMEOUT_MS: number = 600_000;
}

const log = (level: 'info' | 'error', service: string, message: string, extra = {}) =>
  (level === 'error' ? console.error : console.log)(
    JSON.stringify({ level, service, message, ...extra }),
  );

/**
 * Entry point of a service's `migrate` command. Without arguments it applies pending migrations
 * (as the schema's owner role: a Kubernetes Job, a compose one-shot) and exits. With `--wait` it
 * applies nothing: it polls until no migration is pending, so an app pod (runtime role) starts
 * only once the migration Job of its release has run.
 */
export async function runMigrationsCommand(
  service: string,
  makeDataSource: (config: MigrationConfig) => DataSource,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  try {
    const config = loadConfig(MigrationConfig);
    const dataSource = withoutTimeouts(makeDataSource(config));
    await dataSource.initialize();
    try {
      if (argv.includes('--wait')) {
        await waitForMigrations(service, dataSource, config.MIGRATIONS_WAIT_TIMEOUT_MS);
      } else {
        await applyMigrations(service, dataSource);
      }
    } finally {
      await dataSource.destroy();
    }
  } catch (err) {
    log('error', service, 'migrations failed', { err: String(err) });
    process.exitCode = 1;
  }
}

async function applyMigrations(service: string, dataSource: DataSource): Promise<void> {
  // Replicas of a Job (or a rerun) may start together: one migrates, the others wait.
  const lock = dataSource.createQueryRunner();
  await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`${service}:migrations`]);
  const applied = await dataSource.runMigrations({ transaction: 'each' }).finally(async () => {
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`${service}:migrations`]);
    await lock.release();
  });
  log('info', service, 'migrations applied', { applied: applied.map((m) => m.name) });
}

/** Names of the DataSource's migrations not yet recorded in its migrations table. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  let applied: Array<{ name: string }> = [];
  try {
    applied = await dataSource.query<Array<{ name: string }>>(`SELECT name FROM ${table}`);
  } catch {
    // No table yet (nothing applied), or not readable yet: everything is pending.
  }
  const done = new Set(applied.map((r) => r.name));
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !done.has(n));
}

async function waitForMigrations(service: string, dataSource: DataSource, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await pendingMigrations(dataSource);
    if (pending.length === 0) {
      log('info', service, 'schema is migrated');
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`still pending after ${timeoutMs} ms: ${pending.join(', ')}`);
    log('info', service, 'waiting for the migration job', { pending });
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
