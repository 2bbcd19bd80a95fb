import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { isTransientInfrastructureError } from '@rewards/service-kit';
import {
  commitGroupAtTopicEnds,
  eventually,
  freshGroupAtTopicEnds,
  KafkaProbe,
  testBrokers,
} from '@rewards/testing';
import { DataSource } from 'typeorm';
import { CoalesceBounds, DeadLetters, InboxConsumer, KafkaJsMessageBus } from '../src';
import { dropScratch, lessonCompleted, scratchSchema } from './messaging-fixture';

const quiet = () => undefined;

/**
 * The embedded broker answers a fetch with one produced message set per partition, so a backlog
 * produced one message per send reaches the consumer one message per fetch: only coalescing
 * makes the batches larger.
 */
describe('InboxConsumer coalescing a backlog', () => {
  let dataSource: DataSource;
  let schema: string;
  const buses: KafkaJsMessageBus[] = [];
  const consumers: InboxConsumer[] = [];

  beforeAll(async () => {
    ({ dataSource, schema } = await scratchSchema());
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  afterAll(async () => {
    await dropScratch(dataSource, schema);
    // Thousands of lessons of one instructor on one partition: the referrals service of a later
    // file's platform would read them all before a lesson of its own that hashes there.
    await commitGroupAtTopicEnds('referrals', [Topics.LessonCompleted]);
  });

  /** Produces each event in its own send (its own message set), keys spread over partitions. */
  async function backlog(count: number, keys: number) {
    const probe = new KafkaProbe();
    const keyList = Array.from({ length: keys }, () => randomUUID());
    const events = Array.from({ length: count }, (_, i) => lessonCompleted(keyList[i % keys]));
    for (const e of events) await probe.produce(Topics.LessonCompleted, e.key, JSON.stringify(e));
    await probe.close();
    return events;
  }

  /**
   * A group member applying through the inbox; `runs` gets the bookings of each batch transaction
   * that had any of `ours` (other files' messages may reach the topic meanwhile).
   */
  function member(
    groupId: string,
    ours: ReadonlySet<string>,
    coalesce: CoalesceBounds | undefined,
    runs: string[][],
    forgotten: number[] = [],
  ): InboxConsumer {
    const bus = new KafkaJsMessageBus({
      brokers: testBrokers(),
      clientId: `coalesce-${consumers.length}`,
      fetchMaxWaitMs: 50,
      sessionTimeoutMs: 6000,
      // A member learns of a rebalance at its next heartbeat: soon, so a backlog outlasts that.
      heartbeatIntervalMs: 100,
      onStashForgotten: (_group, _topic, _partition, messages) => forgotten.push(messages),
    });
    buses.push(bus);
    const inbox = new InboxConsumer(dataSource, bus, new DeadLetters(dataSource, bus, groupId), {
      groupId,
      maxAttempts: 3,
      retryBaseMs: 20,
      retryMaxMs: 200,
      concurrency: 3,
      maxBytesPerPartition: 65_536,
      coalesce,
      log: quiet,
      isTransient: isTransientInfrastructureError,
    });
    inbox.on(Topics.LessonCompleted, async (event, tx) => {
      await tx.query('INSERT INTO applied (message_id, booking_id) VALUES ($1, $2)', [
        event.id,
        event.payload.bookingId,
      ]);
    });
    inbox.beforeRun(Topics.LessonCompleted, async (events) => {
      const run = events.map((e) => e.payload.bookingId).filter((id) => ours.has(id));
      if (run.length > 0) runs.push(run);
    });
    inbox.start();
    consumers.push(inbox);
    return inbox;
  }

  const applied = async (bookingIds: string[]) =>
    (
      await dataSource.query<Array<{ booking_id: string }>>(
        'SELECT booking_id FROM applied WHERE booking_id = ANY($1::uuid[]) ORDER BY seq',
        [bookingIds],
      )
    ).map((r) => r.booking_id);

  it('applies a backlog of single-message sends in batches of many sends, in order', async () => {
    const singleGroup = await freshGroupAtTopicEnds('coalesce', [Topics.LessonCompleted]);
    const coalescingGroup = await freshGroupAtTopicEnds('coalesce', [Topics.LessonCompleted]);
    const events = await backlog(120, 1);
    const ids = events.map((e) => e.payload.bookingId);
    const ours = new Set(ids);

    const single: string[][] = [];
    member(singleGroup, ours, undefined, single);
    await eventually(async () => expect(await applied(ids)).toHaveLength(120), {
      timeoutMs: 60_000,
    });
    // Without coalescing, one send is one batch on this broker.
    expect(Math.max(...single.map((r) => r.length))).toBe(1);

    const runs: string[][] = [];
    member(coalescingGroup, ours, { maxMessages: 40, maxBytes: 1 << 20, maxAgeMs: 60_000 }, runs);
    await eventually(async () => expect(runs.flat()).toHaveLength(120), { timeoutMs: 60_000 });
    expect(runs.flat()).toEqual(ids);
    expect(runs.length).toBeLessThan(10);
    expect(Math.max(...runs.map((r) => r.length))).toBe(40);
  });

  it('loses nothing and applies nothing twice when a member joins while another holds messages back', async () => {
    // One key, so one partition, one message per fetch: the first member holds back every fetch
    // until it caught up (bounds it cannot reach), long enough for the second to join meanwhile.
    // The backlog must outlast the second member's join and the first one's next heartbeat
    // (2,000 did not always with heartbeats every 1.5 s; the first fetches about 500 a second).
    const groupId = await freshGroupAtTopicEnds('coalesce', [Topics.LessonCompleted]);
    const events = await backlog(2500, 1);
    const ids = events.map((e) => e.payload.bookingId);
    const ours = new Set(ids);
    const bounds = { maxMessages: 100_000, maxBytes: 1 << 30, maxAgeMs: 600_000 };
    const runs: string[][] = [];
    const forgotten: number[] = [];
    const first = member(groupId, ours, bounds, runs, forgotten);
    await eventually(() => expect(first.state()).toBe('running'), { timeoutMs: 30_000 });
    const second = member(groupId, ours, bounds, runs, forgotten);
    await eventually(async () => expect(await applied(ids)).toHaveLength(2500), {
      timeoutMs: 120_000,
    });

    // The rejoin found messages held back; they were fetched again and applied once, in order.
    expect(forgotten.some((n) => n > 0)).toBe(true);
    expect(await applied(ids)).toEqual(ids);
    expect(Math.max(...runs.map((r) => r.length))).toBeGreaterThan(1);
    await eventually(
      () => {
        expect(first.state()).toBe('running');
        expect(second.state()).toBe('running');
      },
      { timeoutMs: 30_000 },
    );
  });
});
