import { EventEmitter } from 'node:events';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SupervisedConsumer, SupervisedConsumerOptions } from './supervised-consumer';

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
};

/** Just enough of a kafkajs consumer to drive the supervisor through its failure paths. */
class FakeConsumer extends EventEmitter {
  readonly events = EVENTS;
  connectError?: Error;
  commitError?: Error;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  disconnected = false;
  committed: string[] = [];

  async connect(): Promise<void> {
    if (this.connectError) throw this.connectError;
  }
  async subscribe(): Promise<void> {}
  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.eachBatch = config.eachBatch;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async commitOffsets(offsets: Array<{ offset: string }>): Promise<void> {
    if (this.commitError) throw this.commitError;
    this.committed.push(...offsets.map((o) => o.offset));
  }
  emitEvent(name: string, payload: object): void {
    this.emit(name, { payload });
  }
}

function fakeKafka(prepare: (c: FakeConsumer, index: number) => void = () => undefined) {
  const created: FakeConsumer[] = [];
  const kafka = {
    consumer: () => {
      const c = new FakeConsumer();
      prepare(c, created.length);
      created.push(c);
      return c as unknown as Consumer;
    },
  } as unknown as Kafka;
  return { kafka, created };
}

const options = (over: Partial<SupervisedConsumerOptions> = {}): SupervisedConsumerOptions => ({
  groupId: 'g',
  topics: ['lesson-completed'],
  handler: async () => undefined,
  concurrency: 1,
  maxBytesPerPartition: 1024,
  fetchMaxWaitMs: 10,
  sessionTimeoutMs: 1000,
  heartbeatIntervalMs: 250,
  ...over,
});

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds; the supervisor's backoff runs on real timers. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await tick(20);
  }
}

interface FetchedBatch {
  offsets: string[];
  /** The partition's end: the offset the next message appended will get. */
  highWatermark?: string;
  partition?: number;
  /** False once the partition was revoked (kafkajs: seek pending, or not running). */
  active?: () => boolean;
}

/** A kafkajs eachBatch payload; `resolved` records the fetch position it leaves (next offset). */
function batchPayload(
  offsetsOrBatch: string[] | FetchedBatch,
  resolved: Map<number, string> = new Map(),
): EachBatchPayload {
  const fetched = Array.isArray(offsetsOrBatch) ? { offsets: offsetsOrBatch } : offsetsOrBatch;
  const { offsets, partition = 0, active = () => true } = fetched;
  const last = offsets[offsets.length - 1];
  const highWatermark = fetched.highWatermark ?? (BigInt(last) + 1n).toString();
  return {
    batch: {
      topic: 'lesson-completed',
      partition,
      highWatermark,
      offsetLag: () => (BigInt(highWatermark) - 1n - BigInt(last)).toString(),
      messages: offsets.map((offset) => ({
        offset,
        key: null,
        value: Buffer.from(`m${offset}`),
        headers: {},
      })),
    },
    heartbeat: async () => undefined,
    isRunning: active,
    isStale: () => false,
    resolveOffset: (offset: string) => resolved.set(partition, (BigInt(offset) + 1n).toString()),
  } as unknown as EachBatchPayload;
}

describe(SupervisedConsumer.name, () => {
  it('reports running once it joined the group, with the partitions it owns, and none once stopped', async () => {
    const { kafka, created } = fakeKafka();
    const assigned: Array<Record<string, number[]>> = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({ onAssigned: (assignment) => assigned.push(assignment) }),
    );
    await tick(10);
    expect(supervised.state()).toBe('starting');
    created[0].emitEvent(EVENTS.GROUP_JOIN, { memberAssignment: { 'lesson-completed': [0, 2] } });
    expect(supervised.state()).toBe('running');
    await supervised.stop();
    expect(supervised.state()).toBe('stopped');
    expect(created[0].disconnected).toBe(true);
    expect(assigned).toEqual([{ 'lesson-completed': [0, 2] }, {}]);
  });

  it('restarts a consumer that crashed for good, with a new client, and reports the restart', async () => {
    const { kafka, created } = fakeKafka();
    const restarts: string[] = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({ onRestart: (by) => restarts.push(by) }),
    );
    await tick(10);
    created[0].emitEvent(EVENTS.GROUP_JOIN, {});
    created[0].emitEvent(EVENTS.CRASH, { error: new Error('evicted'), restart: false });
    expect(supervised.state()).toBe('restarting');
    await until(() => created.length === 2);
    expect(created[0].disconnected).toBe(true);
    created[1].emitEvent(EVENTS.GROUP_JOIN, {});
    expect(supervised.state()).toBe('running');
    await supervised.stop();
    expect(restarts).toEqual(['supervisor']);
  });

  it('leaves a retriable crash to kafkajs, which restarts the same client', async () => {
    const { kafka, created } = fakeKafka();
    const restarts: string[] = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({ onRestart: (by) => restarts.push(by) }),
    );
    await tick(10);
    created[0].emitEvent(EVENTS.CRASH, { error: new Error('broker away'), restart: true });
    await tick(700);
    expect(created).toHaveLength(1);
    expect(supervised.state()).toBe('restarting');
    created[0].emitEvent(EVENTS.GROUP_JOIN, {});
    expect(supervised.state()).toBe('running');
    await supervised.stop();
    expect(restarts).toEqual(['kafkajs']);
  });

  it('keeps retrying to start while the broker is unreachable', async () => {
    const { kafka, created } = fakeKafka((c, i) => {
      if (i < 2) c.connectError = new Error('ECONNREFUSED');
    });
    const restarts: string[] = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({ onRestart: (by) => restarts.push(by) }),
    );
    await until(() => created.length === 3);
    await tick(10);
    created[2].emitEvent(EVENTS.GROUP_JOIN, {});
    expect(supervised.state()).toBe('running');
    await supervised.stop();
    expect(restarts).toEqual(['supervisor', 'supervisor']);
  });

  it('does not crash when the group moved on before the offsets could be committed', async () => {
    const { kafka, created } = fakeKafka((c) => {
      c.commitError = new Error('The group is rebalancing, so a rejoin is needed');
    });
    const supervised = new SupervisedConsumer(
      kafka,
      options({
        handler: async (batch, controls) => {
          for (const m of batch.messages) controls.markProcessed(m);
        },
      }),
    );
    await tick(10);
    await expect(created[0].eachBatch?.(batchPayload(['4', '5']))).resolves.toBeUndefined();
    await supervised.stop();
  });

  it('commits the offset after the last message processed, even when the handler gave up', async () => {
    const { kafka, created } = fakeKafka();
    const supervised = new SupervisedConsumer(
      kafka,
      options({
        handler: async (batch, controls) => {
          controls.markProcessed(batch.messages[0]);
          throw new Error('database down');
        },
      }),
    );
    await tick(10);
    await expect(created[0].eachBatch?.(batchPayload(['7', '8']))).rejects.toThrow('database down');
    expect(created[0].committed).toEqual(['8']);
    await supervised.stop();
  });
});

describe('SupervisedConsumer coalescing a partition that is behind', () => {
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

  /** A supervisor whose handler records each batch's offsets and processes all of them. */
  async function coalescing(
    bounds = { maxMessages: 10, maxBytes: 1_000_000, maxAgeMs: 60_000 },
    handle: (offsets: string[]) => void = () => undefined,
  ) {
    const { kafka, created } = fakeKafka();
    const batches: string[][] = [];
    const forgotten: Array<[string, number, number]> = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({
        coalesce: bounds,
        onStashForgotten: (...args) => forgotten.push(args),
        handler: async (batch, controls) => {
          const offsets = batch.messages.map((m) => m.offset);
          batches.push(offsets);
          handle(offsets);
          for (const m of batch.messages) if (controls.isActive()) controls.markProcessed(m);
        },
      }),
    );
    await tick(10);
    const fake = created[0];
    const resolved = new Map<number, string>();
    const fetch = (batch: FetchedBatch) => fake.eachBatch?.(batchPayload(batch, resolved));
    return { supervised, fake, batches, resolved, fetch, forgotten };
  }

  it('holds small fetches while more waits in the broker and applies them as one batch once caught up', async () => {
    const { supervised, fake, batches, resolved, fetch } = await coalescing();
    await fetch({ offsets: range(0, 2), highWatermark: '9' });
    // Resolved, so the next fetch goes on after them, but neither applied nor committed.
    expect(resolved.get(0)).toBe('3');
    expect(batches).toEqual([]);
    expect(fake.committed).toEqual([]);
    await fetch({ offsets: range(3, 5), highWatermark: '9' });
    expect(batches).toEqual([]);
    await fetch({ offsets: range(6, 8), highWatermark: '9' });
    expect(batches).toEqual([range(0, 8)]);
    expect(fake.committed).toEqual(['9']);
    await supervised.stop();
  });

  it('applies the held messages once they reach the message bound, even with more waiting', async () => {
    const { supervised, fake, batches, fetch } = await coalescing({
      maxMessages: 5,
      maxBytes: 1_000_000,
      maxAgeMs: 60_000,
    });
    await fetch({ offsets: range(0, 2), highWatermark: '100' });
    await fetch({ offsets: range(3, 5), highWatermark: '100' });
    await fetch({ offsets: range(6, 8), highWatermark: '100' });
    expect(batches).toEqual([range(0, 5)]);
    expect(fake.committed).toEqual(['6']);
    await supervised.stop();
  });

  it('applies the held messages once they reach the byte bound', async () => {
    // Each fake message value is `m<offset>`: 2 to 3 bytes.
    const { supervised, batches, fetch } = await coalescing({
      maxMessages: 1000,
      maxBytes: 12,
      maxAgeMs: 60_000,
    });
    await fetch({ offsets: range(0, 2), highWatermark: '100' });
    await fetch({ offsets: range(3, 5), highWatermark: '100' });
    expect(batches).toEqual([range(0, 5)]);
    await supervised.stop();
  });

  it('applies the held messages once the oldest waited the age bound', async () => {
    const { supervised, batches, fetch } = await coalescing({
      maxMessages: 1000,
      maxBytes: 1_000_000,
      maxAgeMs: 50,
    });
    await fetch({ offsets: range(0, 2), highWatermark: '100' });
    await fetch({ offsets: range(3, 5), highWatermark: '100' });
    expect(batches).toEqual([]);
    await tick(80);
    await fetch({ offsets: range(6, 8), highWatermark: '100' });
    expect(batches).toEqual([range(0, 8)]);
    await supervised.stop();
  });

  it('keeps partitions apart', async () => {
    const { supervised, batches, fetch } = await coalescing();
    await fetch({ offsets: range(0, 1), highWatermark: '4', partition: 0 });
    await fetch({ offsets: range(10, 11), highWatermark: '14', partition: 1 });
    await fetch({ offsets: range(2, 3), highWatermark: '4', partition: 0 });
    await fetch({ offsets: range(12, 13), highWatermark: '14', partition: 1 });
    expect(batches).toEqual([range(0, 3), range(10, 13)]);
    await supervised.stop();
  });

  it.each([
    ['a rebalance', 'consumer.rebalancing'],
    ['a rejoin', 'consumer.group_join'],
  ])(
    'forgets what it held on %s: the new fetch from the committed offset brings it again',
    async (_, event) => {
      const { supervised, fake, batches, fetch, forgotten } = await coalescing();
      await fetch({ offsets: range(0, 4), highWatermark: '9' });
      fake.committed.length = 0;
      fake.emitEvent(event, {});
      expect(forgotten).toEqual([['lesson-completed', 0, 5]]);
      // kafkajs fetches from the committed offset after rejoining: the same messages again.
      await fetch({ offsets: range(0, 4), highWatermark: '5' });
      expect(batches).toEqual([range(0, 4)]);
      expect(fake.committed).toEqual(['5']);
      await supervised.stop();
    },
  );

  it('drops held messages the fetch position went back over, so none is handed over twice', async () => {
    const { supervised, batches, fetch } = await coalescing();
    await fetch({ offsets: range(0, 4), highWatermark: '20' });
    // A fetch that starts inside what was held (the position was moved back).
    await fetch({ offsets: range(3, 7), highWatermark: '8' });
    expect(batches).toEqual([range(0, 7)]);
    await supervised.stop();
  });

  it('forgets what it held for a partition revoked before its next batch', async () => {
    const { supervised, fake, batches, resolved, fetch } = await coalescing();
    await fetch({ offsets: range(0, 4), highWatermark: '20' });
    await fetch({ offsets: range(5, 6), highWatermark: '20', active: () => false });
    // Nothing applied or committed; the next owner fetches from the committed offset.
    expect(batches).toEqual([range(5, 6)]);
    expect(fake.committed).toEqual([]);
    expect(resolved.get(0)).toBe('5');
    await supervised.stop();
  });

  it('fetches the held messages again when the handler failed before finishing any', async () => {
    let failures = 1;
    const { supervised, fake, batches, resolved, fetch } = await coalescing(undefined, () => {
      if (failures-- > 0) throw new Error('database down');
    });
    await fetch({ offsets: range(0, 4), highWatermark: '7' });
    await expect(fetch({ offsets: range(5, 6), highWatermark: '7' })).rejects.toThrow(
      'database down',
    );
    // kafkajs retries from the resolved position: it must be back at the first held message.
    expect(resolved.get(0)).toBe('0');
    expect(fake.committed).toEqual([]);
    await fetch({ offsets: range(0, 6), highWatermark: '7' });
    expect(batches).toEqual([range(0, 6), range(0, 6)]);
    expect(fake.committed).toEqual(['7']);
    await supervised.stop();
  });

  it('commits only what was applied when the handler stopped half-way through a coalesced batch', async () => {
    const { kafka, created } = fakeKafka();
    const supervised = new SupervisedConsumer(
      kafka,
      options({
        coalesce: { maxMessages: 100, maxBytes: 1_000_000, maxAgeMs: 60_000 },
        handler: async (batch, controls) => {
          for (const m of batch.messages.slice(0, 3)) controls.markProcessed(m);
        },
      }),
    );
    await tick(10);
    const resolved = new Map<number, string>();
    await created[0].eachBatch?.(
      batchPayload({ offsets: range(0, 1), highWatermark: '4' }, resolved),
    );
    await created[0].eachBatch?.(
      batchPayload({ offsets: range(2, 3), highWatermark: '4' }, resolved),
    );
    expect(created[0].committed).toEqual(['3']);
    expect(resolved.get(0)).toBe('3');
    await supervised.stop();
  });

  it('never holds anything without bounds', async () => {
    const { kafka, created } = fakeKafka();
    const batches: string[][] = [];
    const supervised = new SupervisedConsumer(
      kafka,
      options({
        handler: async (batch) => {
          batches.push(batch.messages.map((m) => m.offset));
        },
      }),
    );
    await tick(10);
    await created[0].eachBatch?.(batchPayload({ offsets: range(0, 1), highWatermark: '100' }));
    expect(batches).toEqual([range(0, 1)]);
    await supervised.stop();
  });
});
