import { eventually, testAdminUrl } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { openPoolConnections, withMinimumPool } from '../src/database';

/** What the test reads of pg's Pool. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
}

describe(withMinimumPool.name, () => {
  const sources: DataSource[] = [];
  // Idle connections close after 100 ms instead of pg's 10 s, so the test need not wait long.
  const dataSource = async (min: number): Promise<DataSource> => {
    const db = withMinimumPool(
      new DataSource({
        type: 'postgres',
        url: testAdminUrl(),
        poolSize: 4,
        extra: { idleTimeoutMillis: 100 },
      }),
      min,
    );
    sources.push(db);
    return db.initialize();
  };
  const pool = (db: DataSource) => (db.driver as unknown as { master: PoolCounts }).master;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  afterEach(async () => {
    for (const db of sources.splice(0)) if (db.isInitialized) await db.destroy();
  });

  it('opens its minimum at once and keeps it open past the idle timeout', async () => {
    const db = await dataSource(3);
    expect(await openPoolConnections(db, 3)).toBe(3);
    expect(pool(db)).toMatchObject({ totalCount: 3, idleCount: 3 });

    await sleep(500);
    expect(pool(db)).toMatchObject({ totalCount: 3, idleCount: 3 });
    // Work beyond the minimum opens more, up to the pool's size (read while every connection is
    // busy: after the work, the extra one may already have idled out on a loaded machine); those
    // close when idle again, down to the minimum.
    const work = Promise.all(Array.from({ length: 4 }, () => db.query('SELECT pg_sleep(1)')));
    await eventually(() => expect(pool(db).totalCount).toBe(4), { timeoutMs: 5_000 });
    await work;
    await eventually(() => expect(pool(db).totalCount).toBe(3), { timeoutMs: 5_000 });
    await sleep(500);
    expect(pool(db).totalCount).toBe(3);
  });

  it('without a minimum, lets idle connections close', async () => {
    const db = await dataSource(0);
    expect(await openPoolConnections(db, 3)).toBe(3);
    await sleep(500);
    expect(pool(db).totalCount).toBe(0);
  });
});
