import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testBrokers } from './test-infra';

/**
 * A new consumer group whose committed offsets are the topics' current ends: a consumer started
 * in it reads what is published from now on, not every message the suite's earlier files left on
 * the shared broker (a group with no offsets starts from the beginning, as a new service should;
 * thousands of old messages then stand before a test's own). Call it before producing the test's
 * messages. Costs one group join: the broker commits offsets only for a member of the group.
 */
export async function freshGroupAtTopicEnds(prefix: string, topics: string[]): Promise<string> {
  const groupId = `${prefix}-${randomUUID()}`;
  await commitGroupAtTopicEnds(groupId, topics);
  return groupId;
}

/**
 * Commits `groupId`'s offsets at the topics' current ends, so its next consumer skips what is
 * there now. For a file that filled a topic a service consumes: the services' groups are shared by
 * every file of the run, and a later file's platform would read the backlog before its own
 * messages. The group must have no running member.
 */
export async function commitGroupAtTopicEnds(groupId: string, topics: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-fresh-group',
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  // The broker's smallest session timeout: the embedded one makes the group's next join wait about
  // as long as the session timeout its first member asked for.
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 1500,
  });
  try {
    await admin.connect();
    const ends = await Promise.all(
      topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })),
    );
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async () => {},
    });
    consumer.pause(topics.map((topic) => ({ topic })));
    await joined;
    await consumer.commitOffsets(
      ends.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, high }) => ({ topic, partition, offset: high })),
      ),
    );
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
}
