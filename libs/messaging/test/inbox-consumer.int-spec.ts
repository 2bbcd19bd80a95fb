import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { isTransientInfrastructureError } from '@rewards/service-kit';
import { eventually, freshGroupAtTopicEnds, KafkaProbe, testBrokers } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { DeadLetters, InboxConsumer, KafkaJsMessageBus } from '../src';
import { dropScratch, lessonCompleted, scratchSchema } from './messaging-fixture';

const quiet = () => undefined;

class TransientError extends Error {
  readonly code = '57P01'; // admin_shutdown: the database went away under us
}

describe(InboxConsumer.name, () => {
  let dataSource: DataSource;
  let schema: string;
  let bus: KafkaJsMessageBus;
  let probe: KafkaProbe;
  let consumer: InboxConsumer | undefined;

  beforeAll(async () => {
    ({ dataSource, schema } = await scratchSchema());
    bus = new KafkaJsMessageBus({
      brokers: testBrokers(),
      clientId: 'inbox-int',
      fetchMaxWaitMs: 50,
    });
    probe = new KafkaProbe();
    await probe.watch([`${Topics.LessonCompleted}.dlq`]);
  });

  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });

  afterAll(async () => {
    await probe.close();
    await bus.close();
    await dropScratch(dataSource, schema);
  });

  const start = (
    groupId: string,
    handle: (bookingId: string, messageId: string) => Promise<void>,
    prelude?: (bookingIds: string[]) => void,
  ): InboxConsumer => {
    const deadLetters = new DeadLetters(dataSource, bus, groupId);
    const inbox = new InboxConsumer(dataSource, bus, deadLetters, {
      groupId,
      maxAttempts: 3,
      retryBaseMs: 20,
      retryMaxMs: 200,
      concurrency: 3,
      maxBytesPerPartition: 65_536,
      log: quiet,
      isTransient: isTransientInfrastructureError,
    });
    inbox.on(Topics.LessonCompleted, async (event, tx) => {
      await handle(event.payload.bookingId, event.id);
      await tx.query('INSERT INTO applied (message_id, booking_id) VALUES ($1, $2)', [
        event.id,
        event.payload.bookingId,
      ]);
    });
    if (prelude !== undefined) {
      inbox.beforeRun(Topics.LessonCompleted, async (events) => {
        prelude(events.map((e) => e.payload.bookingId));
      });
    }
    inbox.start();
    consumer = inbox;
    return inbox;
  };

  const appliedFor = async (bookingIds: string[]) =>
    (
      await dataSource.query<Array<{ booking_id: string }>>(
        'SELECT booking_id FROM applied WHERE booking_id = ANY($1::uuid[]) ORDER BY seq',
        [bookingIds],
      )
    ).map((r) => r.booking_id);

  it('applies a batch in order, dead-letters only the message that keeps failing, and replays it once fixed', async () => {
    const key = randomUUID();
    const events = Array.from({ length: 30 }, () => lessonCompleted(key));
    const poison = events[12];
    let fixed = false;
    const groupId = await freshGroupAtTopicEnds('inbox', [Topics.LessonCompleted]);
    for (const e of events) await probe.produce(Topics.LessonCompleted, key, JSON.stringify(e));
    start(groupId, async (bookingId) => {
      if (bookingId === poison.payload.bookingId && !fixed) throw new Error('domain says no');
    });

    const expected = events.filter((e) => e !== poison).map((e) => e.payload.bookingId);
    await eventually(async () => expect(await appliedFor(expected)).toEqual(expected), {
      timeoutMs: 30_000,
    });
    const [letter] = await new DeadLetters(dataSource, bus, groupId).list();
    expect(letter).toMatchObject({
      topic: Topics.LessonCompleted,
      messageId: poison.id,
      attempts: 3,
      reason: 'domain says no',
    });
    await eventually(() =>
      expect(
        probe.find(`${Topics.LessonCompleted}.dlq`, (v: { id?: string }) => v.id === poison.id),
      ).toHaveLength(1),
    );

    fixed = true;
    expect(await new DeadLetters(dataSource, bus, groupId).replay([letter.id])).toEqual([
      letter.id,
    ]);
    await eventually(async () =>
      expect(await appliedFor([poison.payload.bookingId])).toEqual([poison.payload.bookingId]),
    );
    // Replaying again changes nothing: the letter is marked replayed.
    expect(await new DeadLetters(dataSource, bus, groupId).replay([letter.id])).toEqual([]);
    expect(await new DeadLetters(dataSource, bus, groupId).list()).toEqual([]);
  });

  it('retries an infrastructure failure past maxAttempts and never dead-letters it', async () => {
    const key = randomUUID();
    const event = lessonCompleted(key);
    let failures = 0;
    const groupId = await freshGroupAtTopicEnds('inbox', [Topics.LessonCompleted]);
    const inbox = start(groupId, async (bookingId) => {
      if (bookingId === event.payload.bookingId && failures < 8) {
        failures += 1;
        throw new TransientError('terminating connection due to administrator command');
      }
    });
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(event));
    await eventually(() => expect(inbox.stalled()).toHaveLength(1), { timeoutMs: 30_000 });
    await eventually(
      async () => expect(await appliedFor([event.payload.bookingId])).toHaveLength(1),
      { timeoutMs: 30_000 },
    );
    expect(failures).toBe(8);
    expect(inbox.stalled()).toEqual([]);
    expect(await new DeadLetters(dataSource, bus, groupId).list()).toEqual([]);
  });

  it('applies each message once when it is delivered twice', async () => {
    const groupId = await freshGroupAtTopicEnds('inbox', [Topics.LessonCompleted]);
    const key = randomUUID();
    const event = lessonCompleted(key);
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(event));
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(event));
    const later = lessonCompleted(key);
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(later));
    start(groupId, async () => undefined);
    const ids = [event.payload.bookingId, later.payload.bookingId];
    await eventually(async () => expect(await appliedFor(ids)).toEqual(ids), { timeoutMs: 30_000 });
  });

  it('gives the run prelude each new message once, and redoes a failed run without it', async () => {
    const key = randomUUID();
    const events = Array.from({ length: 6 }, () => lessonCompleted(key));
    const failing = events[3];
    let failures = 0;
    const prepared: string[][] = [];
    const expected = events.map((e) => e.payload.bookingId);
    const groupId = await freshGroupAtTopicEnds('inbox', [Topics.LessonCompleted]);
    // One of them twice, and all before the consumer starts: one batch.
    for (const e of [...events.slice(0, 2), events[0], ...events.slice(2)]) {
      await probe.produce(Topics.LessonCompleted, key, JSON.stringify(e));
    }
    start(
      groupId,
      async (bookingId) => {
        if (bookingId === failing.payload.bookingId && failures++ === 0) {
          throw new Error('fails once');
        }
      },
      (bookingIds) => {
        // Only this test's: whatever else reaches the topic meanwhile is not ours.
        const ours = bookingIds.filter((id) => expected.includes(id));
        if (ours.length > 0) prepared.push(ours);
      },
    );
    await eventually(async () => expect(await appliedFor(expected)).toEqual(expected), {
      timeoutMs: 30_000,
    });
    // The first run saw every new message once; it failed, was redone without the prelude
    // (savepoints), and whatever the batch split, no booking reached the prelude twice in one run.
    expect(prepared[0]).toEqual(expected.slice(0, prepared[0].length));
    for (const run of prepared) expect(new Set(run).size).toBe(run.length);
    expect(failures).toBe(2);
  });

  it('applies the valid messages around one that breaks its contract, an upper-case id once', async () => {
    const key = randomUUID();
    const before = lessonCompleted(key);
    const shouting = { ...lessonCompleted(key), id: randomUUID().toUpperCase() };
    const after = lessonCompleted(key);
    const groupId = await freshGroupAtTopicEnds('inbox', [Topics.LessonCompleted]);
    // Produced before the consumer starts, so they arrive as one batch.
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(before));
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(shouting));
    await probe.produce(Topics.LessonCompleted, key, '{"not":"an envelope"}');
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(shouting));
    await probe.produce(Topics.LessonCompleted, key, JSON.stringify(after));
    start(groupId, async () => undefined);
    const ids = [before, shouting, after].map((e) => e.payload.bookingId);
    await eventually(async () => expect(await appliedFor(ids)).toEqual(ids), { timeoutMs: 30_000 });
    const letters = await new DeadLetters(dataSource, bus, groupId).list();
    expect(letters).toHaveLength(1);
    expect(letters[0].reason).toBeTruthy();
  });
});

describe('InboxConsumer in a rebalancing group', () => {
  let dataSource: DataSource;
  let schema: string;
  const buses: KafkaJsMessageBus[] = [];
  const consumers: InboxConsumer[] = [];

  beforeAll(async () => {
    ({ dataSource, schema } = await scratchSchema());
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(buses.map((b) => b.close()));
    await dropScratch(dataSource, schema);
  });

  const member = (groupId: string): InboxConsumer => {
    const bus = new KafkaJsMessageBus({
      brokers: testBrokers(),
      clientId: `rebalance-${consumers.length}`,
      fetchMaxWaitMs: 50,
      sessionTimeoutMs: 6000,
    });
    buses.push(bus);
    const inbox = new InboxConsumer(dataSource, bus, new DeadLetters(dataSource, bus, groupId), {
      groupId,
      maxAttempts: 3,
      retryBaseMs: 20,
      retryMaxMs: 200,
      concurrency: 1,
      maxBytesPerPartition: 8192,
      log: quiet,
      isTransient: isTransientInfrastructureError,
    });
    inbox.on(Topics.LessonCompleted, async (event, tx) => {
      // Slow enough that the rebalance lands in the middle of a batch.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await tx.query('INSERT INTO applied (message_id, booking_id) VALUES ($1, $2)', [
        event.id,
        event.payload.bookingId,
      ]);
    });
    inbox.start();
    consumers.push(inbox);
    return inbox;
  };

  it('applies every message exactly once when a second member joins mid-batch, and both keep consuming', async () => {
    const groupId = await freshGroupAtTopicEnds('rebalance', [Topics.LessonCompleted]);
    const probe = new KafkaProbe();
    const keys = Array.from({ length: 12 }, () => randomUUID());
    const events = Array.from({ length: 300 }, (_, i) => lessonCompleted(keys[i % keys.length]));
    for (const e of events) await probe.produce(Topics.LessonCompleted, e.key, JSON.stringify(e));
    await probe.close();
    const ids = events.map((e) => e.payload.bookingId);
    const count = async () =>
      Number(
        (
          await dataSource.query<Array<{ n: string }>>(
            'SELECT count(*) AS n FROM applied WHERE booking_id = ANY($1::uuid[])',
            [ids],
          )
        )[0].n,
      );
    const first = member(groupId);
    await eventually(async () => expect(await count()).toBeGreaterThan(20), { timeoutMs: 30_000 });
    const second = member(groupId);
    await eventually(async () => expect(await count()).toBe(300), { timeoutMs: 60_000 });
    const duplicates = await dataSource.query<unknown[]>(
      `SELECT booking_id FROM applied WHERE booking_id = ANY($1::uuid[])
       GROUP BY booking_id HAVING count(*) > 1`,
      [ids],
    );
    expect(duplicates).toEqual([]);
    await eventually(
      () => {
        expect(first.state()).toBe('running');
        expect(second.state()).toBe('running');
      },
      { timeoutMs: 30_000 },
    );
  });
});
