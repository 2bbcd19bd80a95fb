import { Admin, Kafka, logLevel } from 'kafkajs';

export interface ProvisionTopicsOptions {
  clientId?: string;
  /** Per createTopics call and for leader election. */
  timeoutMs?: number;
}

/**
 * Creates the topics missing from a real Kafka cluster (the embedded mock creates its own).
 * Partitions and replication factor are always explicit: brokers before 2.4 reject -1.
 * Idempotent; returns the names it created. Existing topics are left as they are.
 */
export async function provisionTopics(
  brokers: string[],
  topics: string[],
  partitions: number,
  replicationFactor: number,
  options: ProvisionTopicsOptions = {},
): Promise<string[]> {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`partitions must be a positive integer, got ${partitions}`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new Error(`replicationFactor must be a positive integer, got ${replicationFactor}`);
  }
  const timeout = options.timeoutMs ?? 30_000;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'provision-topics',
    brokers,
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    const created = await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
      waitForLeaders: true,
      timeout,
    });
    // false: another provisioner created them first (TOPIC_ALREADY_EXISTS), and kafkajs then
    // skips its own leader wait.
    if (!created) {
      await waitForLeaders(admin, missing, timeout);
      return [];
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const ready = metadata.every(
      (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(', ')} in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
