import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { DataSource } from 'typeorm';
import { BrokerWatch, CommittedOffset, MessageBus, OutboxWriter, PartitionOffsets } from '../src';
import { dropScratch, scratchSchema } from './messaging-fixture';

/** A broker whose offsets the test sets: only what BrokerWatch asks is answered. */
function brokerWith(state: {
  clusterId: string;
  offsets: PartitionOffsets[];
  committed: Record<string, CommittedOffset[]>;
}): MessageBus {
  const unused = () => Promise.reject(new Error('not used by BrokerWatch'));
  return {
    send: unused,
    subscribe: () => {
      throw new Error('not used by BrokerWatch');
    },
    ping: unused,
    close: unused,
    clusterId: async () => state.clusterId,
    topicOffsets: async () => state.offsets,
    committedOffsets: async (group) => state.committed[group] ?? [],
  };
}

describe(BrokerWatch.name, () => {
  let dataSource: DataSource;
  let schema: string;

  beforeAll(async () => {
    ({ dataSource, schema } = await scratchSchema());
    const writer = new OutboxWriter('watch-int');
    for (let i = 0; i < 3; i++) {
      await dataSource.transaction((tx) =>
        writer.add(
          tx,
          Topics.PayoutPaid,
          randomUUID(),
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
    }
    await dataSource.query('UPDATE outbox_messages SET published_at = now()');
    await dataSource.query(
      `INSERT INTO outbox_partition_offsets (topic, partition, last_offset) VALUES ($1, 0, 40)`,
      [Topics.PayoutPaid],
    );
    await dataSource.query(`INSERT INTO outbox_broker (cluster_id) VALUES ('c1')`);
  });

  afterAll(async () => {
    await dropScratch(dataSource, schema);
  });

  const replays = () =>
    dataSource.query<Array<{ topic: string; reason: string }>>(
      'SELECT topic, reason FROM outbox_replays',
    );

  it('leaves a healthy broker alone', async () => {
    const bus = brokerWith({
      clusterId: 'c1',
      offsets: [{ partition: 0, low: '0', high: '41' }],
      committed: { referrals: [{ partition: 0, offset: '41' }] },
    });
    await dataSource.transaction((tx) =>
      new BrokerWatch(bus, () => undefined, { [Topics.PayoutPaid]: ['referrals'] }).check(tx),
    );
    expect(await replays()).toEqual([]);
  });

  it('replays a topic when a consumer group fell behind what the broker still keeps', async () => {
    const bus = brokerWith({
      clusterId: 'c1',
      offsets: [{ partition: 0, low: '30', high: '41' }],
      committed: { referrals: [{ partition: 0, offset: '12' }] },
    });
    await dataSource.transaction((tx) =>
      new BrokerWatch(bus, () => undefined, { [Topics.PayoutPaid]: ['referrals'] }).check(tx),
    );
    const [replay] = await replays();
    expect(replay.topic).toBe(Topics.PayoutPaid);
    expect(replay.reason).toContain('group referrals is at offset 12');
  });
});
