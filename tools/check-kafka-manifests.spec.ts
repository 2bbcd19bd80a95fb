import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_TOPICS,
  allTopicsWithDeadLetters,
  deadLetterTopic,
  TOPIC_CONSUMERS,
  TOPIC_PRODUCERS,
} from '../libs/contracts/src/topics';
import { DataServiceConfig } from '../libs/service-kit/src/data-service-config';
import { renderKafkaManifestFiles } from './k8s/kafka-manifest-files';
import { aclViolations, kafkaAcls, kafkaServices } from './k8s/kafka-manifests';
import { crdErrors, K8sObject, loadCrdValidators, renderOverlay } from './k8s/render-manifests';

const repoRoot = join(__dirname, '..');
const CRD_DIR = process.env.CRD_SCHEMAS_DIR ?? '/work/shared/crds';
const OUTBOX_REPLAY_WINDOW_MS = new DataServiceConfig().OUTBOX_RETENTION_MS;

interface AclEntry {
  resource: { type: string; name: string; patternType?: string };
  operations: string[];
}
const aclsOf = (user: K8sObject) =>
  (user.spec as { authorization: { acls: AclEntry[] } }).authorization.acls;

describe('generated Kafka manifests', () => {
  it.each(Object.entries(renderKafkaManifestFiles()))(
    '%s is what libs/contracts renders (npm run generate:kafka-manifests)',
    (path, text) => {
      expect(readFileSync(join(repoRoot, path), 'utf8')).toBe(text);
    },
  );
});

describe.each(['dev', 'prod'])('Kafka topics of overlay %s', (overlay) => {
  const topics = renderOverlay(repoRoot, overlay).filter((o) => o.kind === 'KafkaTopic');

  it('declares a KafkaTopic for every contract topic and its dead-letter topic', () => {
    expect(topics.map((t) => t.metadata.name).sort()).toEqual(allTopicsWithDeadLetters().sort());
  });

  it('replicates every topic and keeps it longer than the outbox replay window', () => {
    const replicas = overlay === 'prod' ? 3 : 1;
    for (const topic of topics) {
      expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe('rewards');
      const spec = topic.spec as { config: Record<string, number> };
      expect(spec).toMatchObject({ topicName: topic.metadata.name, partitions: 6, replicas });
      expect(spec.config['min.insync.replicas']).toBe(overlay === 'prod' ? 2 : 1);
      expect(spec.config['retention.ms']).toBeGreaterThan(OUTBOX_REPLAY_WINDOW_MS);
    }
  });
});

describe('Kafka users of overlay prod', () => {
  const objects = renderOverlay(repoRoot, 'prod');
  const users = objects.filter((o) => o.kind === 'KafkaUser');
  const userOf = (service: string) => {
    const user = users.find((u) => u.metadata.name === service);
    if (!user) throw new Error(`no KafkaUser ${service}`);
    return user;
  };

  it('has one SCRAM-SHA-512 KafkaUser per service that talks to Kafka', () => {
    expect(users.map((u) => u.metadata.name).sort()).toEqual(kafkaServices());
    expect(kafkaServices()).toEqual(['bookings', 'payouts', 'referrals', 'wallet']);
    for (const user of users) {
      expect(user.spec).toMatchObject({
        authentication: { type: 'scram-sha-512' },
        authorization: { type: 'simple' },
      });
    }
  });

  it.each(['bookings', 'referrals', 'wallet', 'payouts'])(
    'lets %s write only what it produces and read only what it consumes, in its own group',
    (service) => {
      const acls = aclsOf(userOf(service));
      expect(aclViolations(service, acls)).toEqual([]);
      const can = (op: string, type: string) =>
        acls.filter((a) => a.resource.type === type && a.operations.includes(op));
      const written = can('Write', 'topic').map((a) => a.resource.name);
      const read = can('Read', 'topic').map((a) => a.resource.name);
      const consumed = ALL_TOPICS.filter((t) => TOPIC_CONSUMERS[t]?.includes(service));
      expect(written.sort()).toEqual(
        [
          ...ALL_TOPICS.filter((t) => TOPIC_PRODUCERS[t] === service),
          ...consumed.map(deadLetterTopic),
        ].sort(),
      );
      expect(read.sort()).toEqual([...consumed].sort());
      expect(can('Read', 'group').map((a) => a.resource.name)).toEqual([service]);
      expect(acls.every((a) => a.resource.patternType === 'literal')).toBe(true);
    },
  );

  it('refuses a KafkaUser that is given a topic its service does not own', () => {
    const acls = aclsOf(userOf('wallet'));
    const tampered: AclEntry[] = [
      ...acls,
      {
        resource: { type: 'topic', name: 'payout-requested', patternType: 'literal' },
        operations: ['Write'],
      },
    ];
    expect(aclViolations('wallet', tampered)).toEqual([
      'wallet: Write on topic:payout-requested is not in its contracts',
    ]);
    expect(
      aclViolations('payouts', [
        {
          resource: { type: 'topic', name: 'payout', patternType: 'prefix' },
          operations: ['Read'],
        },
        {
          resource: { type: 'group', name: 'referrals', patternType: 'literal' },
          operations: ['Read'],
        },
      ]),
    ).toEqual([
      'payouts: prefix pattern on topic:payout',
      'payouts: Read on topic:payout is not in its contracts',
      'payouts: Read on group:referrals is not in its contracts',
    ]);
    expect(kafkaAcls('payouts').some((a) => a.resource.name === 'payout-requested')).toBe(true);
  });

  const crds = loadCrdValidators(CRD_DIR);
  (crds ? it : it.skip)('is rejected by the Strimzi schema when malformed', () => {
    if (!crds) return;
    const user = structuredClone(userOf('wallet'));
    (user.spec as { authorization: { acls: unknown[] } }).authorization.acls.push({
      resource: { type: 'queue', name: 'x' },
      operations: ['Write'],
    });
    expect(crdErrors(crds, user)).toEqual(
      expect.arrayContaining([expect.stringMatching(/resource\/type must be equal to one of/)]),
    );
    expect(crdErrors(crds, userOf('wallet'))).toEqual([]);
  });
  if (!crds) console.log(`${CRD_DIR} does not exist: skipping the Strimzi schema check`);
});
