import { randomUUID } from 'node:crypto';
import { testAdminUrl } from '@rewards/testing';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { pendingMigrations, runMigrationsCommand } from '../src/migrations';

class CreateThings1000000000001 implements MigrationInterface {
  name = 'CreateThings1000000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE things (id int)');
  }
  async down(): Promise<void> {}
}

class AddNote1000000000002 implements MigrationInterface {
  name = 'AddNote1000000000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE things ADD COLUMN note text');
  }
  async down(): Promise<void> {}
}

describe(runMigrationsCommand.name, () => {
  const schema = `mig_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const dataSource = (migrations: Array<new () => MigrationInterface>) =>
    new DataSource({
      type: 'postgres',
      url: testAdminUrl(),
      schema,
      migrations,
      migrationsTableName: 'migrations',
      extra: { options: `-c search_path=${schema}` },
    });
  const env = { ...process.env };

  beforeAll(async () => {
    const admin = dataSource([]);
    await admin.initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
    process.env.DATABASE_URL = testAdminUrl();
    process.env.DATABASE_SCHEMA = schema;
    process.env.MIGRATIONS_WAIT_TIMEOUT_MS = '0';
  });

  afterAll(async () => {
    process.env = env;
    const admin = dataSource([]);
    await admin.initialize();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.destroy();
  });

  beforeEach(() => {
    process.exitCode = 0;
  });

  afterAll(() => {
    process.exitCode = 0;
  });

  it('lists every migration as pending before the first run, when no table exists', async () => {
    const ds = dataSource([CreateThings1000000000001, AddNote1000000000002]);
    await ds.initialize();
    try {
      expect(await pendingMigrations(ds)).toEqual([
        'CreateThings1000000000001',
        'AddNote1000000000002',
      ]);
    } finally {
      await ds.destroy();
    }
  });

  it('with --wait fails while a migration is pending and applies nothing', async () => {
    await runMigrationsCommand('test', () => dataSource([CreateThings1000000000001]), ['--wait']);

    expect(process.exitCode).toBe(1);
  });

  it('applies pending migrations, after which --wait succeeds until a newer image adds one', async () => {
    await runMigrationsCommand('test', () => dataSource([CreateThings1000000000001]), []);
    expect(process.exitCode).toBe(0);

    await runMigrationsCommand('test', () => dataSource([CreateThings1000000000001]), ['--wait']);
    expect(process.exitCode).toBe(0);

    await runMigrationsCommand(
      'test',
      () => dataSource([CreateThings1000000000001, AddNote1000000000002]),
      ['--wait'],
    );
    expect(process.exitCode).toBe(1);
  });
});
