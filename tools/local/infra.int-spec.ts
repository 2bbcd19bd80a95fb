import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { RunningKafkaMock, RunningPostgres, startKafkaMock, startPostgres } from './infra';
import { provisionDatabase } from './provision-database';
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
    let urls: Record<string, string>;

    beforeAll(async () => {
      urls = await provisionDatabase(postgres.adminUrl, ['alpha', 'beta'], (s) => `${s}-pw`);
    });

    it('lets a service create tables in its own schema, on its search_path', async () => {
      const schema = await withClient(urls.alpha, async (client) => {
        await client.query('CREATE TABLE things (id int PRIMARY KEY)');
        const result = await client.query<{ schema: string }>(
          `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'things'`,
        );
        return result.rows[0]?.schema;
      });

      expect(schema).toBe('alpha');
    });

    it("denies a service any read of another service's schema", async () => {
      await withClient(urls.beta, (client) => client.query('CREATE TABLE secrets (id int)'));

      const read = withClient(urls.alpha, (client) => client.query('SELECT * FROM beta.secrets'));

      await expect(read).rejects.toThrow(/permission denied for schema beta/);
    });

    it('denies a service creating objects in the public schema', async () => {
      const create = withClient(urls.beta, (client) =>
        client.query('CREATE TABLE public.x (id int)'),
      );

      await expect(create).rejects.toThrow(/permission denied for schema public/);
    });

    it('is idempotent and resets passwords on a re-run', async () => {
      const again = await provisionDatabase(
        postgres.adminUrl,
        ['alpha', 'beta'],
        (s) => `${s}-new`,
      );

      const user = await withClient(again.alpha, async (client) => {
        const result = await client.query<{ user: string }>('SELECT current_user AS user');
        return result.rows[0].user;
      });

      expect(user).toBe('svc_alpha');
      await expect(withClient(urls.alpha, async () => undefined)).rejects.toThrow(
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
