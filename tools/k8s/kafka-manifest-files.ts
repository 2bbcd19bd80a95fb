import { stringify } from 'yaml';
import { deadLetterKafkaTopics, kafkaTopics, kafkaUsers } from './kafka-manifests';

const GENERATED =
  '# GENERATED from libs/contracts by `npm run generate:kafka-manifests`\n' +
  '# (tools/k8s/kafka-manifests.ts). Do not edit: tools/check-manifests.spec.ts fails on drift.\n';

function documents(comment: string, objects: object[]): string {
  const body = objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
  return `${GENERATED}${comment}${body}`;
}

/** Each generated file's path (from the repository root) and text. */
export function renderKafkaManifestFiles(): Record<string, string> {
  return {
    'deploy/k8s/base/kafka-topics/topics.yaml': documents(
      '# Every contract topic: 6 partitions, 3 replicas, min.insync.replicas 2, kept 14 days\n' +
        "# (longer than the outbox's 7-day replay window).\n",
      kafkaTopics(),
    ),
    'deploy/k8s/base/kafka-topics/dead-letter-topics.yaml': documents(
      '# The dead-letter topic of every contract topic, kept 30 days.\n',
      deadLetterKafkaTopics(),
    ),
    'deploy/k8s/overlays/prod/kafka-users.yaml': documents(
      '# One Strimzi KafkaUser per service (SCRAM-SHA-512; Strimzi writes its password to the Secret\n' +
        '# of the same name) with ACLs from TOPIC_PRODUCERS and TOPIC_CONSUMERS: write what it\n' +
        '# produces, read what it consumes (and write those dead-letter topics), its own group only.\n',
      kafkaUsers(),
    ),
  };
}
