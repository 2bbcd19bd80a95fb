import { DataSource } from 'typeorm';
import { DataServiceConfig, loadConfig } from './config';
import { withoutTimeouts } from './database';

/** Entry point of a service's `migrate` command: applies pending migrations, then exits. */
export async function runMigrationsCommand<C extends DataServiceConfig>(
  service: string,
  cls: new () => C,
  makeDataSource: (config: C) => DataSource,
): Promise<void> {
  try {
    const dataSource = withoutTimeouts(makeDataSource(loadConfig(cls)));
    await dataSource.initialize();
    try {
      // Replicas start together (one init container each): one migrates, the others wait.
      const lock = dataSource.createQueryRunner();
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`${service}:migrations`]);
      const applied = await dataSource.runMigrations({ transaction: 'each' }).finally(async () => {
        await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`${service}:migrations`]);
        await lock.release();
      });
      console.log(
        JSON.stringify({
          level: 'info',
          service,
          message: 'migrations applied',
          applied: applied.map((m) => m.name),
        }),
      );
    } finally {
      await dataSource.destroy();
    }
  } catch (err) {
    console.error(
      JSON.stringify({ level: 'error', service, message: 'migrations failed', err: String(err) }),
    );
    process.exitCode = 1;
  }
}
