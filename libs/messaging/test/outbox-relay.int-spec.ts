import { randomUUID } from 'node:crypto';
import { allTopicsWithDeadLetters, Topics } from '@rewards/contracts';
import { eventually } from '@rewards/testing';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { RunningKafkaMock, startKafkaMock } from '../../../tools/local/infra';
import {
  BrokerWatch,
  KafkaJsMessageBus,
  kickAfterOutboxCommit,
  MessagingRetention,
  OutboxRelay,
  OutboxWriter,
  tryTakeSchemaLock,
} from '../src';
import { dropScratch, scratchSchema } from './messaging-fixture';

const quiet = () => undefined;

/** Reads one topic of one broker from the start: what a consumer of that broker would see. */
async function readAll(brokers: string, topic: string, count: number): Promise<string[]> {
  const kafka = new Kafka({
    clientId: 'relay-int-reader',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const ids: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      ids.push((JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id);
    },
  });
  try {
    await eventually(() => expect(ids.length).toBeGreaterThanOrEqual(count), { timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

describe(OutboxRelay.name, () => {
  let dataSource: DataSource;
  let schema: string;
  const writer = new OutboxWriter('relay-int');

  beforeAll(async () => {
    ({ dataSource, schema } = await scratchSchema());
  });

  afterAll(async () => {
    await dropScratch(dataSource, schema);
  });

  const relayTo = (bus: KafkaJsMessageBus) =>
    new OutboxRelay(dataSource, bus, `relay-int-${schema}`, new BrokerWatch(bus, quiet), {
      pollIntervalMs: 50,
      batchSize: 4,
      brokerCheckIntervalMs: 0,
      onError: (err) => {
        throw err;
      },
    });

  const write = async (key: string) =>
    dataSource.transaction((tx) =>
      writer.add(
        tx,
        Topics.PayoutPaid,
        key,
        {
          payoutId: randomUUID(),
          rewardId: randomUUID(),
          beneficiaryId: randomUUID(),
          amount: { amountCents: 7500, currency: 'USD' },
          transferId: `tr_${randomUUID()}`,
          paidAt: new Date().toISOString(),
        },
        { occurredAt: new Date() },
      ),
    );

  it('refills a broker that lost everything with the retained events, in order, before new ones', async () => {
    const topics = allTopicsWithDeadLetters();
    let first: RunningKafkaMock | undefined = await startKafkaMock({ topics, partitions: 1 });
    let second: RunningKafkaMock | undefined;
    try {
      const key = randomUUID();
      const written = [];
      for (let i = 0; i < 10; i++) written.push((await write(key)).id);
      const firstBus = new KafkaJsMessageBus({ brokers: [first.brokers], clientId: 'relay-int' });
      expect(await relayTo(firstBus).drain()).toBe(10);
      await firstBus.close();
      expect(await readAll(first.brokers, Topics.PayoutPaid, 10)).toEqual(written);

      // The broker is replaced by an empty one (the embedded broker after a restart).
      await first.stop();
      first = undefined;
      second = await startKafkaMock({ topics, partitions: 1 });
      const later = (await write(key)).id;
      const secondBus = new KafkaJsMessageBus({ brokers: [second.brokers], clientId: 'relay-int' });
      const relay = relayTo(secondBus);
      expect(await relay.drain()).toBe(11);
      await secondBus.close();
      expect(await readAll(second.brokers, Topics.PayoutPaid, 11)).toEqual([...written, later]);
      const [{ count }] = await dataSource.query<Array<{ count: string }>>(
        'SELECT count(*) FROM outbox_replays',
      );
      expect(Number(count)).toBe(0);
    } finally {
      await first?.stop();
      await second?.stop();
    }
  });

  it('numbers one key’s events in the order their transactions commit', async () => {
    const key = randomUUID();
    let releaseFirst: () => void = () => undefined;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let secondAdded = false;
    const first = dataSource.transaction(async (tx) => {
      const envelope = await writer.add(tx, Topics.PayoutPaid, key, samplePaid(), {
        occurredAt: new Date(),
      });
      await firstMayCommit;
      return envelope.id;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A second writer of the same key, with no other lock in common, waits for the first commit.
    const second = dataSource.transaction(async (tx) => {
      const envelope = await writer.add(tx, Topics.PayoutPaid, key, samplePaid(), {
        occurredAt: new Date(),
      });
      secondAdded = true;
      return envelope.id;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondAdded).toBe(false);
    releaseFirst();
    const ids = [await first, await second];
    const rows = await dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM outbox_messages WHERE key = $1 ORDER BY seq',
      [key],
    );
    expect(rows.map((r) => r.id)).toEqual(ids);
  });

  it('writes several keys’ events in one statement in the order given, a writer of the same keys waiting for its commit', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const event = (key: string) => ({
      topic: Topics.PayoutPaid,
      key,
      payload: samplePaid(),
      context: { occurredAt: new Date() },
    });
    let releaseFirst: () => void = () => undefined;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let secondAdded = false;
    const first = dataSource.transaction(async (tx) => {
      const envelopes = await writer.addMany(tx, [event(b), event(a), event(b)]);
      expect(writer.wroteIn(tx)).toBe(true);
      await firstMayCommit;
      return envelopes.map((e) => e.id);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = dataSource.transaction(async (tx) => {
      const envelopes = await writer.addMany(tx, [event(a), event(b)]);
      secondAdded = true;
      return envelopes.map((e) => e.id);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondAdded).toBe(false);
    releaseFirst();
    const ids = [...(await first), ...(await second)];
    const rows = await dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM outbox_messages WHERE key = ANY($1) ORDER BY seq',
      [[a, b]],
    );
    expect(rows.map((r) => r.id)).toEqual(ids);
    // A payload that breaks its contract writes nothing.
    await expect(
      dataSource.transaction((tx) =>
        writer.addMany(tx, [
          event(a),
          { ...event(a), payload: { ...samplePaid(), paidAt: 'yesterday' } },
        ]),
      ),
    ).rejects.toThrow(/breaks its contract/);
    const [{ count }] = await dataSource.query<Array<{ count: string }>>(
      'SELECT count(*) FROM outbox_messages WHERE key = ANY($1)',
      [[a, b]],
    );
    expect(Number(count)).toBe(5);
  });

  it('purges published events and inbox ids past their retention, and nothing younger', async () => {
    const old = await write(randomUUID());
    const young = await write(randomUUID());
    await dataSource.query(
      `UPDATE outbox_messages SET published_at = now(), created_at = now() - interval '8 days'
       WHERE id = $1`,
      [old.id],
    );
    await dataSource.query(`UPDATE outbox_messages SET published_at = now() WHERE id = $1`, [
      young.id,
    ]);
    await dataSource.query(
      `INSERT INTO inbox_messages (consumer, message_id, topic, processed_at)
       VALUES ('c', $1, 't', now() - interval '9 days'), ('c', $2, 't', now() - interval '7 days')`,
      [old.id, young.id],
    );
    const retention = new MessagingRetention(dataSource, {
      outboxRetentionMs: 7 * 86_400_000,
      inboxRetentionMs: 8 * 86_400_000,
      intervalMs: 60_000,
      onError: quiet,
    });
    expect(await retention.purge()).toEqual({ outbox: 1, inbox: 1 });
    const left = await dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM outbox_messages WHERE id = ANY($1::uuid[])',
      [[old.id, young.id]],
    );
    expect(left.map((r) => r.id)).toEqual([young.id]);
  });

  it('publishes nothing while another replica’s relay holds the lock, and all of it once it lets go', async () => {
    const mock = await startKafkaMock({ topics: allTopicsWithDeadLetters(), partitions: 1 });
    const bus = new KafkaJsMessageBus({ brokers: [mock.brokers], clientId: 'relay-int' });
    const relay = relayTo(bus);
    const other = dataSource.createQueryRunner();
    try {
      await relay.drain();
      await other.startTransaction();
      expect(await tryTakeSchemaLock(other.manager, `relay-int-${schema}`)).toBe(true);
      const waiting = await write(randomUUID());
      const unpublished = async (): Promise<number> => {
        const [row] = await dataSource.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL',
        );
        return row.n;
      };
      expect(await relay.drain()).toBe(0);
      expect(await unpublished()).toBe(1);

      await other.rollbackTransaction();
      expect(await relay.drain()).toBe(1);
      expect(await unpublished()).toBe(0);
      expect(await readAll(mock.brokers, Topics.PayoutPaid, 1)).toContain(waiting.id);
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
      await bus.close();
      await mock.stop();
    }
  });

  it('publishes what a commit wrote without waiting for a poll, and what no kick announced at the next poll', async () => {
    const mock = await startKafkaMock({ topics: allTopicsWithDeadLetters(), partitions: 1 });
    const bus = new KafkaJsMessageBus({ brokers: [mock.brokers], clientId: 'relay-int' });
    const relayPolling = (pollIntervalMs: number) =>
      new OutboxRelay(dataSource, bus, `relay-kick-${schema}`, new BrokerWatch(bus, quiet), {
        pollIntervalMs,
        batchSize: 50,
        brokerCheckIntervalMs: 600_000,
        onError: quiet,
      });
    const published = async (id: string) => {
      const [row] = await dataSource.query<Array<{ published: boolean }>>(
        'SELECT published_at IS NOT NULL AS published FROM outbox_messages WHERE id = $1',
        [id],
      );
      expect(row.published).toBe(true);
    };
    // Polls only at start within this test: a publish must come from the commit's kick.
    const kicked = relayPolling(600_000);
    kickAfterOutboxCommit(dataSource, writer, kicked);
    const polling = relayPolling(200);
    try {
      kicked.start();
      // Published by the drain at start; after it, only a kick makes the relay drain again.
      const atStart = await write(randomUUID());
      await eventually(() => published(atStart.id), { timeoutMs: 30_000 });
      const first = await write(randomUUID());
      await eventually(() => published(first.id), { timeoutMs: 30_000 });

      await kicked.stop();
      // No kick reaches this relay. Once it has published one event (at start or at a poll), the
      // next can only be found by a later poll, which looks before it takes the lock.
      polling.start();
      const second = await write(randomUUID());
      await eventually(() => published(second.id), { timeoutMs: 30_000 });
      const third = await write(randomUUID());
      await eventually(() => published(third.id), { timeoutMs: 30_000 });
    } finally {
      await kicked.stop();
      await polling.stop();
      await bus.close();
      await mock.stop();
    }
  });

  it('publishes a kick after a quiet spell at once, gathers the commits of one interval into one batch, and a stream of kicks does not put the drain off', async () => {
    const mock = await startKafkaMock({ topics: allTopicsWithDeadLetters(), partitions: 1 });
    const bus = new KafkaJsMessageBus({ brokers: [mock.brokers], clientId: 'relay-int' });
    const intervalMs = 4000;
    const batches: Array<{ at: number; ids: string[] }> = [];
    const relay = new OutboxRelay(
      dataSource,
      bus,
      `relay-interval-${schema}`,
      new BrokerWatch(bus, quiet),
      {
        pollIntervalMs: 600_000,
        kickIntervalMs: intervalMs,
        batchSize: 50,
        brokerCheckIntervalMs: 600_000,
        onError: quiet,
        onPublished: (envelopes) =>
          batches.push({ at: Date.now(), ids: envelopes.map((e) => e.id) }),
      },
    );
    const published = () => batches.flatMap((b) => b.ids);
    const writeAndKick = async (): Promise<string> => {
      const { id } = await write(randomUUID());
      relay.kick();
      return id;
    };
    try {
      relay.start();
      // The relay's first drain is a poll that finds nothing, which is no activity: the first
      // kick drains at once, its event out well before an interval could end.
      const kickedAt = Date.now();
      const first = await writeAndKick();
      await eventually(() => expect(published()).toContain(first), { timeoutMs: 30_000 });
      const firstOut = batches.find((b) => b.ids.includes(first))!.at;
      expect(firstOut - kickedAt).toBeLessThan(intervalMs / 2);

      // Three commits right after that drain wait for the interval's end and go out together.
      const gathered = [await writeAndKick(), await writeAndKick(), await writeAndKick()];
      await eventually(() => expect(published()).toEqual(expect.arrayContaining(gathered)), {
        timeoutMs: 30_000,
      });
      const batch = batches.find((b) => b.ids.includes(gathered[0]))!;
      expect(batch.ids).toEqual(expect.arrayContaining(gathered));
      expect(batch.at - firstOut).toBeGreaterThanOrEqual(intervalMs / 2);

      // A commit every 100 ms for 6 s, each kicking: the first is out long before they stop.
      const stream: string[] = [];
      const until = Date.now() + 6000;
      while (Date.now() < until) {
        stream.push(await writeAndKick());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(published()).toContain(stream[0]);
    } finally {
      await relay.stop();
      await bus.close();
      await mock.stop();
    }
  });
});

function samplePaid() {
  return {
    payoutId: randomUUID(),
    rewardId: randomUUID(),
    beneficiaryId: randomUUID(),
    amount: { amountCents: 7500, currency: 'USD' as const },
    transferId: `tr_${randomUUID()}`,
    paidAt: new Date().toISOString(),
  };
}
