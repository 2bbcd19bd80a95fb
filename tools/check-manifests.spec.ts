import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import {
  NetworkPolicy,
  type INetworkPolicy,
} from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { allTopicsWithDeadLetters } from '../libs/contracts/src/topics';

// Renders every overlay with `kubectl kustomize`, validates each object against the Kubernetes
// OpenAPI schemas (kubernetes-models), and checks what the platform relies on. The schemas catch
// wrong types and missing required fields, not unknown fields: the explicit checks below cover
// the fields that matter.

const repoRoot = join(__dirname, '..');
const SERVICES = ['gateway', 'bookings', 'referrals', 'wallet', 'payouts'] as const;
const DB_SERVICES = SERVICES.filter((s) => s !== 'gateway');
const PORTS: Record<string, number> = {
  gateway: 3000,
  bookings: 3001,
  referrals: 3002,
  wallet: 3003,
  payouts: 3004,
};
// Who may call each backend (NetworkPolicy); payouts asks bookings for connected accounts.
const ALLOWED_CALLERS: Record<string, string[]> = {
  bookings: ['gateway', 'payouts'],
  referrals: ['gateway'],
  wallet: ['gateway', 'bookings'],
  payouts: ['gateway'],
};
const NAMESPACE = 'rewards';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type Validator = (obj: K8sObject) => { validate(): void };
const validators: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o),
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/Service': (o) => new Service(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'batch/v1/Job': (o) => new Job(o),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isK8sObject(value: unknown): value is K8sObject {
  return (
    isRecord(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

function render(overlay: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync(
      'kubectl',
      ['kustomize', join(repoRoot, 'deploy/k8s/overlays', overlay)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: install kubectl (>= 1.27, with kustomize built in)');
    }
    const stderr = isRecord(error) ? String(error.stderr) : String(error);
    throw new Error(`kubectl kustomize deploy/k8s/overlays/${overlay} failed:\n${stderr}`);
  }
  return parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value: unknown = doc.toJS();
    if (!isK8sObject(value)) throw new Error(`not a Kubernetes object: ${JSON.stringify(value)}`);
    return value;
  });
}

const of = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const byName = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

function must(obj: K8sObject | undefined): K8sObject {
  if (!obj) throw new Error('expected object is missing from the rendered manifests');
  return obj;
}

function deploymentOf(objects: K8sObject[], name: string): Deployment {
  const found = byName(objects, 'Deployment', name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return new Deployment(found);
}

function podSpec(deployment: Deployment) {
  const spec = deployment.spec?.template.spec;
  if (!spec) throw new Error(`Deployment ${deployment.metadata?.name} has no pod spec`);
  return spec;
}

function expectHardened(container: IContainer): void {
  expect(container.resources?.requests).toEqual(
    expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
  );
  expect(container.resources?.limits).toEqual(
    expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
  );
  expect(container.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
}

function secretRefs(containers: IContainer[]): string[] {
  return containers.flatMap((c) =>
    (c.env ?? []).flatMap((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      return ref ? [`${ref.name}/${ref.key}`] : [];
    }),
  );
}

describe.each(['dev', 'production'])('overlay %s', (overlay) => {
  const objects = render(overlay);

  it('renders only objects that pass their schema, in the rewards namespace, without Secrets', () => {
    for (const obj of objects) {
      const key = `${obj.apiVersion}/${obj.kind}`;
      if (obj.kind === 'KafkaTopic') continue;
      const validator = validators[key];
      if (!validator) throw new Error(`no validator for ${key} (${obj.metadata.name})`);
      expect(() => validator(obj).validate()).not.toThrow();
      if (obj.kind !== 'Namespace') expect(obj.metadata.namespace).toBe(NAMESPACE);
    }
    expect(of(objects, 'Secret')).toEqual([]);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(SERVICES)('has a Deployment and a matching ClusterIP Service for %s', (name) => {
    const deployment = deploymentOf(objects, name);
    const service = new Service(must(byName(objects, 'Service', name)));
    const podLabels = deployment.spec?.template.metadata?.labels ?? {};
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.selector).toEqual({ 'app.kubernetes.io/name': name });
    expect(podLabels).toMatchObject({ 'app.kubernetes.io/name': name });
    expect(service.spec?.ports).toEqual([
      expect.objectContaining({ port: PORTS[name], targetPort: 'http' }),
    ]);
    const [app] = podSpec(deployment).containers;
    expect(app.ports).toEqual([{ name: 'http', containerPort: PORTS[name] }]);
    expect(app.env).toContainEqual({ name: 'PORT', value: String(PORTS[name]) });
  });

  it.each(SERVICES)('runs %s hardened, probed, drained and versioned', (name) => {
    const spec = podSpec(deploymentOf(objects, name));
    const [app] = spec.containers;
    expect(app.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(app.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(app.lifecycle?.preStop?.exec?.command).toEqual(['sleep', expect.any(String)]);
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
      expectHardened(container);
      expect(container.image).toMatch(new RegExp(`^rewards/${name}:(?!latest$)[\\w.-]+$`));
      expect(container.envFrom).toEqual([
        { configMapRef: { name: expect.stringMatching(/^platform-config-/) } },
      ]);
    }
  });

  it.each(DB_SERVICES)('migrates %s in an initContainer and reads its own secret', (name) => {
    const spec = podSpec(deploymentOf(objects, name));
    expect(spec.initContainers?.map((c) => c.command)).toEqual([
      ['node', `dist/services/${name}/src/db/migrate.js`],
    ]);
    for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
      expect(secretRefs([container])).toContain(`${name}-secrets/DATABASE_URL`);
      expect(secretRefs([container]).every((ref) => ref.startsWith(`${name}-secrets/`))).toBe(true);
    }
  });

  it('references only Secrets and keys documented in deploy/k8s/README.md', () => {
    const readme = readFileSync(join(repoRoot, 'deploy/k8s/README.md'), 'utf8');
    const pods = [
      ...of(objects, 'Deployment').map((o) => new Deployment(o as IDeployment).spec?.template.spec),
      ...of(objects, 'Job').map((o) => new Job(o as IJob).spec?.template.spec),
    ];
    const refs = new Set(
      pods.flatMap((pod) =>
        secretRefs([...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]),
      ),
    );
    expect(refs).toContain('gateway-secrets/JWT_SECRET');
    expect(refs).toContain('platform-admin-db/DATABASE_URL');
    for (const ref of refs) {
      const [secret, key] = ref.split('/');
      expect(readme).toContain(`| \`${secret}\` | \`${key}\` |`);
    }
  });

  it('lets only the gateway (and payouts into bookings, bookings into wallet) reach the backends', () => {
    const policies = of(objects, 'NetworkPolicy').map(
      (o) => new NetworkPolicy(o as INetworkPolicy),
    );
    const selecting = (name: string) =>
      policies.filter((p) => p.spec?.podSelector.matchLabels?.['app.kubernetes.io/name'] === name);
    for (const [backend, callers] of Object.entries(ALLOWED_CALLERS)) {
      const rules = selecting(backend).flatMap((p) => p.spec?.ingress ?? []);
      expect(rules.length).toBeGreaterThan(0);
      const peers = rules.flatMap((r) => r.from ?? [{}]);
      // Every peer must be a same-namespace pod selector naming an allowed caller.
      const sources = peers.map((peer) =>
        peer.namespaceSelector || peer.ipBlock
          ? 'outside'
          : (peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'any pod'),
      );
      expect(sources.sort()).toEqual([...callers].sort());
    }
    const gatewayRules = selecting('gateway').flatMap((p) => p.spec?.ingress ?? []);
    expect(gatewayRules.flatMap((r) => r.from ?? [])).toEqual([
      { namespaceSelector: { matchLabels: expect.any(Object) } },
    ]);
  });

  it('provisions the database with deploy/sql/provision.sql', () => {
    const job = new Job(must(byName(objects, 'Job', 'provision-database')));
    const volume = job.spec?.template.spec?.volumes?.find((v) => v.configMap);
    const configMap = byName(objects, 'ConfigMap', volume?.configMap?.name ?? '');
    const sql = readFileSync(join(repoRoot, 'deploy/sql/provision.sql'), 'utf8');
    expect((configMap as { data?: Record<string, string> } | undefined)?.data).toEqual({
      'provision.sql': sql,
    });
    expect(job.spec?.template.spec?.containers[0].args).toContain('--file=/sql/provision.sql');
  });

  it('configures the platform for production behaviour', () => {
    const configMaps = of(objects, 'ConfigMap').filter((o) =>
      o.metadata.name.startsWith('platform-config-'),
    );
    expect(configMaps).toHaveLength(1);
    const data = (configMaps[0] as { data?: Record<string, string> }).data ?? {};
    expect(data).toMatchObject({
      NODE_ENV: 'production',
      AUTH_DEV_TOKENS: 'false',
      HOST: '0.0.0.0',
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_TOPIC_REPLICATION_FACTOR: overlay === 'production' ? '3' : '1',
    });
    for (const name of DB_SERVICES) {
      expect(data[`${name.toUpperCase()}_URL`]).toBe(`http://${name}:${PORTS[name]}`);
    }
    expect(data.KAFKA_BROKERS).toMatch(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/);
  });

  it('declares a KafkaTopic for every contract topic and its dead-letter topic', () => {
    const topics = of(objects, 'KafkaTopic');
    const replicas = overlay === 'production' ? 3 : 1;
    for (const topic of topics) {
      expect(topic.apiVersion).toBe('kafka.strimzi.io/v1beta2');
      expect(topic.metadata.namespace).toBe(NAMESPACE);
      expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe('rewards');
      expect(topic.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      const spec = isRecord(topic.spec) ? topic.spec : {};
      for (const field of Object.keys(spec)) {
        expect(['topicName', 'partitions', 'replicas', 'config']).toContain(field);
      }
      expect(spec).toMatchObject({ topicName: topic.metadata.name, partitions: 6, replicas });
      if (spec.config !== undefined) expect(isRecord(spec.config)).toBe(true);
    }
    expect(topics.map((t) => t.metadata.name).sort()).toEqual(allTopicsWithDeadLetters().sort());
  });

  if (overlay === 'dev') {
    it('runs one replica of everything', () => {
      for (const d of of(objects, 'Deployment'))
        expect(new Deployment(d as IDeployment).spec?.replicas).toBe(1);
    });
  } else {
    it('autoscales the gateway and leaves its replica count to the HPA', () => {
      const hpa = new HorizontalPodAutoscaler(
        must(byName(objects, 'HorizontalPodAutoscaler', 'gateway')),
      );
      expect(hpa.spec?.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'gateway',
      });
      expect(deploymentOf(objects, 'gateway').spec?.replicas).toBeUndefined();
      for (const name of DB_SERVICES) expect(deploymentOf(objects, name).spec?.replicas).toBe(2);
    });
  }
});
