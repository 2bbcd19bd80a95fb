import { randomUUID } from 'node:crypto';
import { testAdminUrl } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { JobScheduler } from '../src/jobs/job-scheduler';
import { SchemaTickLock } from '../src/jobs/schema-tick-lock';

/** Two replicas of a service: two DataSources on one schema with its `schema_locks` table. */
describe(JobScheduler.name, () => {
  const schema = `jobs_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const replica = () =>
    new DataSource({
      type: 'postgres',
      url: testAdminUrl(),
      extra: { options: `-c search_path=${schema}`, max: 4 },
    });
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    a = await replica().initialize();
    await a.query(`CREATE SCHEMA ${schema}`);
    await a.query(`CREATE TABLE ${schema}.schema_locks (name text PRIMARY KEY)`);
    b = await replica().initialize();
  });

  afterAll(async () => {
    await b?.destroy();
    await a?.query(`DROP SCHEMA ${schema} CASCADE`);
    await a?.destroy();
  });

  it('lets one replica run a locked tick while the other skips it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let mostAtOnce = 0;
    const work = async (wait: Promise<void>) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await wait;
      running -= 1;
    };
    const first = new SchemaTickLock(a, 'svc:job').runExclusive(() => work(held));
    // Until the first replica holds the row, the second may still win: wait for it to.
    while (running === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await new SchemaTickLock(b, 'svc:job').runExclusive(() =>
      work(Promise.resolve()),
    );
    expect(second).toBe(false);
    // Another job's lock is its own.
    expect(await new SchemaTickLock(b, 'svc:other').runExclusive(() => Promise.resolve())).toBe(
      true,
    );
    release();
    expect(await first).toBe(true);
    expect(mostAtOnce).toBe(1);
    expect(await new SchemaTickLock(b, 'svc:job').runExclusive(() => Promise.resolve())).toBe(true);
  });

  it('frees the lock and its connection when the tick fails', async () => {
    const lock = new SchemaTickLock(a, 'svc:failing');
    await expect(lock.runExclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await new SchemaTickLock(b, 'svc:failing').runExclusive(() => Promise.resolve())).toBe(
      true,
    );
    const [{ n }] = await a.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'
          AND query LIKE '%schema_locks%' AND pid <> pg_backend_pid()`,
    );
    expect(Number(n)).toBe(0);
  });

  it('holds the lock for the whole tick, keep-alive queries and all', async () => {
    const queries: string[] = [];
    const lock = new SchemaTickLock(a, 'svc:long', 50);
    await lock.runExclusive(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [{ held }] = await b.query<Array<{ held: boolean }>>(
        `SELECT NOT EXISTS (SELECT 1 FROM schema_locks WHERE name = 'svc:long'
                              FOR UPDATE SKIP LOCKED) AS held`,
      );
      queries.push(String(held));
    });
    expect(queries).toEqual(['true']);
  });

  it('starts the ticks it holds on bootstrap and waits for the one under way on shutdown', async () => {
    const scheduler = new JobScheduler(a);
    let ticks = 0;
    let finished = false;
    scheduler.every({
      name: 'svc:slow',
      intervalMs: 20,
      jitter: 0,
      lockName: 'svc:slow',
      run: async () => {
        ticks += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished = true;
      },
    });
    expect(() =>
      scheduler.every({ name: 'svc:slow', intervalMs: 20, run: () => Promise.resolve() }),
    ).toThrow(/already scheduled/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ticks).toBe(0);
    scheduler.onApplicationBootstrap();
    while (ticks === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await scheduler.beforeApplicationShutdown();
    expect(finished).toBe(true);
    const after = ticks;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ticks).toBe(after);
  });
});
