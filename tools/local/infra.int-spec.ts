import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { RunningKafkaMock, RunningPostgres, startKafkaMock, startPostgres } from './infra';
import { provisionDatabase, ServiceDatabaseUrls } from './provision-database';
import { provisionTopics } from './provision-topics';

const TOPIC = 'lesson-completed';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('local infrastructure', () => {
  let postgres: RunningPostgres;
  let kafka: RunningKafkaMock;

  beforeAll(async () => {
    [postgres, kafka] = await Promise.all([
      startPostgres(),
      startKafkaMock({ topics: [TOPIC, `${TOPIC}.dlq`], partitions: 3 }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([postgres?.stop(), kafka?.stop()]);
  });

  describe(provisionDatabase.name, () => {
    let urls: Record<string, ServiceDatabaseUrls>;
    const passwords = (tag: string) => (s: string, kind: string) => `${s}-${kind}-${tag}`;

    beforeAll(async () => {
      urls = await provisionDatabase(postgres.adminUrl, ['alpha', 'beta'], passwords('pw'));
      await withClient(urls.alpha.owner, (client) =>
        client.query('CREATE TABLE things (id int PRIMARY KEY, note text)'),
      );
      await withClient(urls.beta.owner, (client) => client.query('CREATE TABLE secrets (id int)'));
    });

    it('lets the owner create tables in its own schema, on its search_path', async () => {
      const schema = await withClient(urls.alpha.owner, async (client) => {
        const result = await client.query<{ schema: string; owner: string }>(
          `SELECT schemaname AS schema, tableowner AS owner FROM pg_tables WHERE tablename = 'things'`,
        );
        return result.rows[0];
      });

      expect(schema).toEqual({ schema: 'alpha', owner: 'svc_alpha_owner' });
    });

    it('gives the runtime role DML on tables the owner created after provisioning', async () => {
      const rows = await withClient(urls.alpha.runtime, async (client) => {
        await client.query("INSERT INTO things VALUES (1, 'a')");
        await client.query("UPDATE things SET note = 'b' WHERE id = 1");
        const result = await client.query<{ note: string }>('SELECT note FROM things');
        await client.query('DELETE FROM things');
        return result.rows;
      });

      expect(rows).toEqual([{ note: 'b' }]);
    });

    it.each([
      ['create a table', 'CREATE TABLE more (id int)', /permission denied for schema alpha/],
      ['alter a table', 'ALTER TABLE things ADD COLUMN x int', /must be owner of table things/],
      ['truncate a table', 'TRUNCATE things', /permission denied for table things/],
      ['drop a table', 'DROP TABLE things', /must be owner of table things/],
      ['read another schema', 'SELECT * FROM beta.secrets', /permission denied for schema beta/],
      ['create in public', 'CREATE TABLE public.x (id int)', /permission denied for schema public/],
      ['become the owner', 'SET ROLE svc_alpha_owner', /permission denied to set role/],
    ])('refuses the runtime role to %s', async (_, sql, error) => {
      await expect(withClient(urls.alpha.runtime, (client) => client.query(sql))).rejects.toThrow(
        error,
      );
    });

    it("denies the owner any read of another service's schema", async () => {
      const read = withClient(urls.alpha.owner, (client) =>
        client.query('SELECT * FROM beta.secrets'),
      );

      await expect(read).rejects.toThrow(/permission denied for schema beta/);
    });

    it('owns nothing as the runtime role', async () => {
      const owned = await withClient(postgres.adminUrl, async (client) => {
        const result = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
            WHERE r.rolname IN ('svc_alpha', 'svc_beta')`,
        );
        return Number(result.rows[0].n);
      });

      expect(owned).toBe(0);
    });

    it('hands objects a runtime role owned (before the split) to the owner, keeping DML', async () => {
      await withClient(postgres.adminUrl, async (client) => {
        await client.query("CREATE ROLE svc_gamma LOGIN PASSWORD 'old'");
        await client.query('CREATE SCHEMA gamma AUTHORIZATION svc_gamma');
        await client.query('SET ROLE svc_gamma');
        await client.query('CREATE TABLE gamma.legacy (id serial PRIMARY KEY)');
      });

      const gamma = await provisionDatabase(postgres.adminUrl, ['gamma'], passwords('pw'));

      const owner = await withClient(gamma.gamma.runtime, async (client) => {
        await client.query('INSERT INTO legacy DEFAULT VALUES');
        const result = await client.query<{ owner: string }>(
          `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'legacy'`,
        );
        return result.rows[0].owner;
      });
      expect(owner).toBe('svc_gamma_owner');
    });

    it('is idempotent and resets passwords on a re-run', async () => {
      const again = await provisionDatabase(postgres.adminUrl, ['alpha', 'beta'], passwords('new'));

      const user = await withClient(again.alpha.runtime, async (client) => {
        await client.query('SELECT count(*) FROM things');
        const result = await client.query<{ user: string }>('SELECT current_user AS user');
        return result.rows[0].user;
      });

      expect(user).toBe('svc_alpha');
      await expect(withClient(urls.alpha.runtime, async () => undefined)).rejects.toThrow(
        /password authentication failed/,
      );
    });

    it('rejects a service name that is not a plain identifier', async () => {
      await expect(provisionDatabase(postgres.adminUrl, ['Bad-Name'], () => 'pw')).rejects.toThrow(
        /invalid service name/,
      );
    });
  });

  describe('kafka mock cluster', () => {
    it('delivers a produced message to a consumer group on a pre-created topic', async () => {
      const client = new Kafka({
        clientId: 'infra-int-spec',
        brokers: kafka.brokers.split(','),
        logLevel: logLevel.NOTHING,
      });
      const producer = client.producer();
      const consumer = client.consumer({ groupId: 'infra-int-spec' });
      await Promise.all([producer.connect(), consumer.connect()]);
      try {
        await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
        const received = new Promise<string>((resolve) => {
          void consumer.run({
            eachMessage: async ({ message }) => resolve(message.value?.toString() ?? ''),
          });
        });

        await producer.send({ topic: TOPIC, messages: [{ key: 'lesson-1', value: 'hello' }] });

        await expect(received).resolves.toBe('hello');
      } finally {
        await Promise.all([producer.disconnect(), consumer.disconnect()]);
      }
    }, 30_000);

    it('leaves provisioning of pre-created topics as a no-op', async () => {
      const created = await provisionTopics(
        kafka.brokers.split(','),
        [TOPIC, `${TOPIC}.dlq`],
        3,
        1,
      );

      expect(created).toEqual([]);
    });
  });

  describe('launch failures', () => {
    it("reports the launcher's stderr when it exits before ready", async () => {
      const start = startKafkaMock({ topics: ['not a topic'], partitions: 1 });

      await expect(start).rejects.toThrow(/exited before ready[\s\S]*invalid topic name/);
    });
  });

  describe('stop()', () => {
    it('ends both launchers and Postgres with them', async () => {
      const pids = [postgres.pid, kafka.pid];

      await Promise.all([postgres.stop(), kafka.stop()]);

      expect(pids.filter(isAlive)).toEqual([]);
      await expect(withClient(postgres.adminUrl, async () => undefined)).rejects.toThrow(
        /ECONNREFUSED/,
      );
    });
  });
});
