import { testAdminUrl } from '@rewards/testing';
import { DataSource, EntityManager } from 'typeorm';
import { tryTakeSchemaLock } from '../src';
import { dropScratch, scratchSchema } from './messaging-fixture';

/**
 * Holds a transaction open on `dataSource` around tryTakeSchemaLock until `release` settles, and
 * reports whether the lock was taken as soon as the attempt answers.
 */
function contend(
  dataSource: DataSource,
  name: string,
  release: Promise<void>,
): { taken: Promise<boolean>; done: Promise<void> } {
  let answer!: (taken: boolean) => void;
  let fail!: (err: unknown) => void;
  const taken = new Promise<boolean>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  const done = dataSource
    .transaction(async (tx: EntityManager) => {
      // An attempt that waits on a lock fails after 3 s instead of hanging the test.
      await tx.query("SET LOCAL lock_timeout = '3s'");
      answer(await tryTakeSchemaLock(tx, name));
      await release;
    })
    .catch((err: unknown) => {
      fail(err);
      throw err;
    });
  return { taken, done };
}

/** Two replicas of one service: two DataSources on one schema with its `schema_locks` table. */
describe(tryTakeSchemaLock.name, () => {
  let schema: string;
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    ({ dataSource: a, schema } = await scratchSchema());
    b = await new DataSource({
      type: 'postgres',
      url: testAdminUrl(),
      schema,
      poolSize: 4,
      extra: { options: `-c search_path=${schema} -c lock_timeout=3000` },
    }).initialize();
  });

  afterAll(async () => {
    await b?.destroy();
    if (a) await dropScratch(a, schema);
  });

  it('skips at once on a never-used lock name while the first contender holds it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = contend(a, 'svc:fresh', held);
    expect(await first.taken).toBe(true);
    // The first transaction is still open: the second answers without waiting for it.
    const second = contend(b, 'svc:fresh', Promise.resolve());
    expect(await second.taken).toBe(false);
    await second.done;
    release();
    await first.done;
    const again = contend(b, 'svc:fresh', Promise.resolve());
    expect(await again.taken).toBe(true);
    await again.done;
  });

  it('lets exactly one of two replicas starting together on a new name take it, neither waiting', async () => {
    let release!: () => void;
    const bothAnswered = new Promise<void>((resolve) => (release = resolve));
    // Each transaction stays open until both attempts have answered: one waiting on the other
    // would never answer (its lock_timeout fails it).
    const attempts = [contend(a, 'svc:race', bothAnswered), contend(b, 'svc:race', bothAnswered)];
    const taken = await Promise.all(attempts.map((attempt) => attempt.taken));
    release();
    await Promise.all(attempts.map((attempt) => attempt.done));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('inserts the row again when it is gone since a replica remembered it', async () => {
    const once = contend(b, 'svc:removed', Promise.resolve());
    expect(await once.taken).toBe(true);
    await once.done;
    await a.query("DELETE FROM schema_locks WHERE name = 'svc:removed'");
    const missed = contend(b, 'svc:removed', Promise.resolve());
    expect(await missed.taken).toBe(false);
    await missed.done;
    const back = contend(b, 'svc:removed', Promise.resolve());
    expect(await back.taken).toBe(true);
    await back.done;
  });
});
