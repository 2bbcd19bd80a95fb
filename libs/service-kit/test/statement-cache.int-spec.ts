import { randomUUID } from 'node:crypto';
import { testAdminUrl } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { withStatementCache } from '../src/database';
import { statementCachingClient } from '../src/statement-cache';
import { isTransientInfrastructureError } from '../src/transient-errors';

describe(statementCachingClient.name, () => {
  const schema = `stc_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  // One connection, so every statement below runs on the session that prepared the others.
  const dataSource = (maxStatements: number) =>
    withStatementCache(
      new DataSource({
        type: 'postgres',
        url: testAdminUrl(),
        schema,
        poolSize: 1,
        extra: { options: `-c search_path=${schema}` },
      }),
      maxStatements,
    );
  let db: DataSource;

  const prepared = async (): Promise<string[]> => {
    const rows: Array<{ name: string }> = await db.query(
      'SELECT name FROM pg_prepared_statements ORDER BY name',
    );
    return rows.map((r) => r.name);
  };

  beforeAll(async () => {
    const admin = dataSource(0);
    await admin.initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
  });

  afterAll(async () => {
    const admin = dataSource(0);
    await admin.initialize();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.destroy();
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('prepares a parameterized statement the second time its text runs on a connection', async () => {
    db = await dataSource(10).initialize();
    await db.query('CREATE TABLE seen (id int)');
    await db.query('SELECT id FROM seen WHERE id = $1', [1]);
    expect(await prepared()).toEqual([]);
    await db.query('SELECT id FROM seen WHERE id = $1', [2]);
    await db.query('SELECT id FROM seen WHERE id = $1', [3]);
    expect(await prepared()).toEqual([expect.stringMatching(/^rw_[0-9a-f]{24}_0$/)]);
  });

  it('prepares at most its bound of names per connection, sending further texts unnamed', async () => {
    db = await dataSource(2).initialize();
    await db.query('CREATE TABLE listed (id int)');
    for (let n = 1; n <= 5; n++) {
      const text = `SELECT id FROM listed WHERE id IN (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')})`;
      const values = Array.from({ length: n }, (_, i) => i);
      await db.query(text, values);
      await db.query(text, values);
    }
    expect(await prepared()).toHaveLength(2);
  });

  it('fails once, transiently, when a migration changed a prepared SELECT *, then re-prepares', async () => {
    db = await dataSource(10).initialize();
    await db.query('CREATE TABLE lessons (id int, title text)');
    await db.query(`INSERT INTO lessons VALUES (1, 'scales')`);
    const read = () => db.query('SELECT * FROM lessons WHERE id = $1', [1]);
    await read();
    await read();
    const [before] = await prepared();
    expect(before).toBeDefined();

    await db.query('ALTER TABLE lessons ADD COLUMN minutes int');

    const failure: unknown = await read().then(
      () => 'succeeded',
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ driverError: { code: '0A000' } });
    expect(isTransientInfrastructureError(failure)).toBe(true);
    await expect(read()).resolves.toEqual([{ id: 1, title: 'scales', minutes: null }]);
    const after = await prepared();
    expect(after).not.toContain(before);
    expect(after).toHaveLength(1);
  });

  it('deallocates a statement that failed inside a transaction once it is rolled back', async () => {
    db = await dataSource(10).initialize();
    await db.query('CREATE TABLE rooms (id int)');
    await db.query('INSERT INTO rooms VALUES (1)');
    const read = (q: { query: DataSource['query'] }) =>
      q.query('SELECT * FROM rooms WHERE id = $1', [1]);
    await read(db);
    await read(db);
    const [before] = await prepared();
    await db.query('ALTER TABLE rooms ADD COLUMN floor int');

    const runner = db.createQueryRunner();
    await runner.startTransaction();
    await expect(runner.query('SELECT * FROM rooms WHERE id = $1', [1])).rejects.toMatchObject({
      driverError: { code: '0A000' },
    });
    await runner.rollbackTransaction();
    await runner.release();

    expect(await prepared()).not.toContain(before);
    await expect(read(db)).resolves.toEqual([{ id: 1, floor: null }]);
  });

  it('sends every statement unnamed when turned off', async () => {
    db = await dataSource(0).initialize();
    await db.query('CREATE TABLE unnamed (id int)');
    for (let i = 0; i < 3; i++) await db.query('SELECT id FROM unnamed WHERE id = $1', [i]);
    expect(await prepared()).toEqual([]);
  });
});
