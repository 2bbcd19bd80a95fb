// Kafka resources of deploy/k8s derived from libs/contracts, the one list of topics, producers and
// consumers: every KafkaTopic, and one Strimzi KafkaUser per service whose ACLs allow exactly what
// the contracts say it does. `npm run generate:kafka-manifests` writes them;
// tools/check-manifests.spec.ts fails when the files drift from what this renders.
import {
  ALL_TOPICS,
  deadLetterTopic,
  Topic,
  TOPIC_CONSUMERS,
  TOPIC_PRODUCERS,
} from '../../libs/contracts/src/topics';

export const KAFKA_CLUSTER = 'rewards';
export const TOPIC_PARTITIONS = 6;
export const TOPIC_REPLICAS = 3;
/** A write is acknowledged once 2 of the 3 replicas have it: one broker may be down. */
export const MIN_INSYNC_REPLICAS = 2;
/**
 * Broker retention of every topic: 14 days, longer than the outbox's 7-day replay window
 * (OUTBOX_RETENTION_MS), so a consumer that fell behind by less than the window still finds what
 * it missed on the broker, and a refill from the outbox never races the broker's deletion.
 */
export const TOPIC_RETENTION_MS = 14 * 24 * 3600 * 1000;
/** Dead letters stay 30 days, to be inspected and replayed well after the incident. */
export const DEAD_LETTER_RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface KafkaTopicManifest {
  apiVersion: 'kafka.strimzi.io/v1';
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    topicName: string;
    partitions: number;
    replicas: number;
    config: Record<string, string | number>;
  };
}

export type AclOperation = 'Read' | 'Write' | 'Describe';

export interface KafkaAcl {
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' };
  operations: AclOperation[];
}

export interface KafkaUserManifest {
  apiVersion: 'kafka.strimzi.io/v1';
  kind: 'KafkaUser';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    authentication: { type: 'scram-sha-512' };
    authorization: { type: 'simple'; acls: KafkaAcl[] };
  };
}

function topic(name: string, retentionMs: number): KafkaTopicManifest {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: {
      topicName: name,
      partitions: TOPIC_PARTITIONS,
      replicas: TOPIC_REPLICAS,
      config: {
        'min.insync.replicas': MIN_INSYNC_REPLICAS,
        'retention.ms': retentionMs,
      },
    },
  };
}

export function kafkaTopics(): KafkaTopicManifest[] {
  return ALL_TOPICS.map((t) => topic(t, TOPIC_RETENTION_MS));
}

export function deadLetterKafkaTopics(): KafkaTopicManifest[] {
  return ALL_TOPICS.map((t) => topic(deadLetterTopic(t), DEAD_LETTER_RETENTION_MS));
}

const consumersOf = (t: Topic): readonly string[] => TOPIC_CONSUMERS[t] ?? [];

/** Every service that talks to Kafka: the producers and consumers the contracts name. */
export function kafkaServices(): string[] {
  const names = new Set<string>(Object.values(TOPIC_PRODUCERS));
  for (const t of ALL_TOPICS) for (const c of consumersOf(t)) names.add(c);
  return [...names].sort();
}

function acl(type: 'topic' | 'group', name: string, operations: AclOperation[]): KafkaAcl {
  return { resource: { type, name, patternType: 'literal' }, operations };
}

/**
 * What a service may do on the broker:
 * - write (and describe) the topics it produces, and describe the consumer groups reading them
 *   (the relay compares their offsets with what the broker keeps);
 * - read (and describe) the topics it consumes, and write their dead-letter topics;
 * - read its own consumer group, named after it. Nothing else: no wildcard, no prefix.
 */
export function kafkaAcls(service: string): KafkaAcl[] {
  const produced = ALL_TOPICS.filter((t) => TOPIC_PRODUCERS[t] === service);
  const consumed = ALL_TOPICS.filter((t) => consumersOf(t).includes(service));
  const watchedGroups = [...new Set(produced.flatMap(consumersOf))].sort();
  return [
    ...produced.map((t) => acl('topic', t, ['Write', 'Describe'])),
    ...consumed.map((t) => acl('topic', t, ['Read', 'Describe'])),
    ...consumed.map((t) => acl('topic', deadLetterTopic(t), ['Write', 'Describe'])),
    acl('group', service, ['Read', 'Describe']),
    ...watchedGroups.filter((g) => g !== service).map((g) => acl('group', g, ['Describe'])),
  ];
}

export function kafkaUser(service: string): KafkaUserManifest {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: { name: service, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: {
      authentication: { type: 'scram-sha-512' },
      authorization: { type: 'simple', acls: kafkaAcls(service) },
    },
  };
}

export function kafkaUsers(): KafkaUserManifest[] {
  return kafkaServices().map(kafkaUser);
}

interface AclLike {
  resource?: { type?: string; name?: string; patternType?: string };
  operations?: string[];
  operation?: string;
}

/**
 * Every way a KafkaUser's ACLs exceed what the contracts give its service: writing a topic it
 * does not produce (or a dead-letter topic of one it does not consume), reading a topic it does
 * not consume, any group but its own (Describe on its topics' consumer groups aside), any
 * non-literal pattern or other resource type. Empty when the user is within its contracts.
 */
export function aclViolations(service: string, acls: readonly AclLike[]): string[] {
  const allowed = new Map<string, Set<string>>();
  for (const a of kafkaAcls(service)) {
    allowed.set(`${a.resource.type}:${a.resource.name}`, new Set(a.operations));
  }
  const problems: string[] = [];
  for (const a of acls) {
    const where = `${a.resource?.type}:${a.resource?.name}`;
    if (a.resource?.patternType !== undefined && a.resource.patternType !== 'literal') {
      problems.push(`${service}: ${a.resource.patternType} pattern on ${where}`);
    }
    const granted = allowed.get(where);
    for (const op of [...(a.operations ?? []), ...(a.operation ? [a.operation] : [])]) {
      if (!granted?.has(op)) problems.push(`${service}: ${op} on ${where} is not in its contracts`);
    }
  }
  return problems;
}
