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

function batchPayload(offsets: string[]): EachBatchPayload {
  return {
    batch: {
      topic: 'lesson-completed',
      partition: 0,
      messages: offsets.map((offset) => ({ offset, key: null, value: null, headers: {} })),
    },
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
    resolveOffset: () => undefined,
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
