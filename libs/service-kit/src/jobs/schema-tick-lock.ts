import { ensureSchemaLockRow, tryTakeSchemaLock } from '@rewards/messaging';
import { DataSource } from 'typeorm';
import { TickLock } from './interval-job';

/**
 * Sessions idle in a transaction are ended after 60 s (database.ts); the lock's session speaks
 * well within that while the tick works on other connections.
 */
const DEFAULT_KEEP_ALIVE_MS = 20_000;

/**
 * A tick lock held by one replica at a time: a row of the service's own `schema_locks`, locked
 * by a transaction on a connection of its own for as long as the tick runs (tryTakeSchemaLock).
 * Unlike a Postgres advisory lock, no other service's role can take it and stall the job. The
 * tick's own writes run in their own transactions: the lock only keeps replicas from doing the
 * same work at once, so each tick must stay safe to repeat (a lost lock session ends the lock).
 */
export class SchemaTickLock implements TickLock {
  constructor(
    private readonly dataSource: DataSource,
    readonly name: string,
    private readonly keepAliveMs = DEFAULT_KEEP_ALIVE_MS,
  ) {}

  async runExclusive(work: () => Promise<void>): Promise<boolean> {
    // Before the runner takes its connection, so the row's first insert never needs a second.
    await ensureSchemaLockRow(this.dataSource, this.name);
    const runner = this.dataSource.createQueryRunner();
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      await runner.connect();
      await runner.startTransaction();
      if (!(await tryTakeSchemaLock(runner.manager, this.name))) {
        await runner.rollbackTransaction();
        return false;
      }
      keepAlive = setInterval(() => {
        runner.query('SELECT 1').catch(() => undefined);
      }, this.keepAliveMs);
      keepAlive.unref();
      await work();
      clearInterval(keepAlive);
      await runner.commitTransaction();
      return true;
    } finally {
      clearInterval(keepAlive);
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }
}
