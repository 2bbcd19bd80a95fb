import { DataSource } from 'typeorm';
import { DataServiceConfig, loadConfig } from './config';

/** Entry point of a service's `migrate` command: applies pending migrations, then exits. */
export async function runMigrationsCommand<C extends DataServiceConfig>(
  service: string,
  cls: new () => C,
  makeDataSource: (config: C) => DataSource,
): Promise<void> {
  try {
    const dataSource = makeDataSource(loadConfig(cls));
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(
        JSON.stringify({ level: 'info', service, message: 'migrations applied', applied: applied.map((m) => m.name) }),
      );
    } finally {
      await dataSource.destroy();
    }
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', service, message: 'migrations failed', err: String(err) }));
    process.exitCode = 1;
  }
}
