import { Kafka, logLevel } from 'kafkajs';
import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { RunningKafkaMock, RunningPostgres, startKafkaMock, startPostgres } from './infra';
import { isAlive, waitGone } from './process-control';

const TOPIC = 'payout-paid';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Produces one message and reads it back through a fresh consumer group. */
async function roundTrip(brokers: string, value: string): Promise<string> {
  const kafka = new Kafka({
    clientId: 'infra-restart-spec',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `restart-${value}`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === value) resolve(value);
        },
      });
    });
    await producer.send({ topic: TOPIC, messages: [{ key: 'k', value }] });
    return await received;
  } finally {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  }
}

describe('restarting embedded infrastructure in place', () => {
  describe('Kafka mock', () => {
    let kafka: RunningKafkaMock;

    beforeAll(async () => {
      kafka = await startKafkaMock({ topics: [TOPIC], partitions: 2 });
    });

    afterAll(() => kafka?.stop());

    it('serves clients through the same address after restart()', async () => {
      const brokers = kafka.brokers;
      const before = kafka.pid;
      await expect(roundTrip(brokers, 'before')).resolves.toBe('before');

      await kafka.restart();

      expect(kafka.brokers).toBe(brokers);
      expect(kafka.pid).not.toBe(before);
      expect(isAlive(before)).toBe(false);
      await expect(roundTrip(brokers, 'after')).resolves.toBe('after');
    }, 60_000);

    it('reports a killed broker through exited() and comes back with its topics', async () => {
      const exited = kafka.exited();

      process.kill(kafka.pid, 'SIGKILL');

      await expect(exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
      await kafka.restart();
      await expect(roundTrip(kafka.brokers, 'after-kill')).resolves.toBe('after-kill');
    }, 60_000);
  });

  describe('Postgres', () => {
    let postgres: RunningPostgres;

    beforeAll(async () => {
      postgres = await startPostgres();
      await query(postgres.adminUrl, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    }, 60_000);

    afterAll(() => postgres?.stop());

    it('keeps its address and data across restart()', async () => {
      const adminUrl = postgres.adminUrl;

      await postgres.restart();

      expect(postgres.adminUrl).toBe(adminUrl);
      await expect(query(adminUrl, 'SELECT id FROM kept')).resolves.toEqual([{ id: 42 }]);
    }, 60_000);

    it('exits when its server is killed, and recovers the data on restart', async () => {
      const exited = postgres.exited();

      process.kill(postgres.postmasterPid, 'SIGKILL');

      await expect(exited).resolves.toMatchObject({ code: 1 });
      await postgres.restart();
      await expect(query(postgres.adminUrl, 'SELECT id FROM kept')).resolves.toEqual([{ id: 42 }]);
    }, 60_000);

    it('replaces the server a killed launcher left behind', async () => {
      const orphan = postgres.postmasterPid;
      const exited = postgres.exited();

      process.kill(postgres.pid, 'SIGKILL');
      await exited;
      await postgres.restart();

      expect(await waitGone(orphan, 1_000)).toBe(true);
      expect(postgres.postmasterPid).not.toBe(orphan);
      await expect(query(postgres.adminUrl, 'SELECT id FROM kept')).resolves.toEqual([{ id: 42 }]);
    }, 60_000);

    it('removes a temporary cluster on stop()', async () => {
      const { dataDir } = postgres;

      await postgres.stop();

      expect(existsSync(dataDir)).toBe(false);
    }, 60_000);
  });
});
