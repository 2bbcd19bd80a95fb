import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import {
  NetworkPolicy,
  type INetworkPolicy,
} from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import {
  PodMonitor,
  type IPodMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import {
  PrometheusRule,
  type IPrometheusRule,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { MigrationConfig } from '../libs/service-kit/src/migrations';
import { BookingsConfig } from '../services/bookings/src/config/bookings.config';
import { GatewayConfig } from '../services/gateway/src/config/gateway.config';
import { PayoutsConfig } from '../services/payouts/src/config/payouts.config';
import { ReferralsConfig } from '../services/referrals/src/config/referrals.config';
import { WalletConfig } from '../services/wallet/src/config/wallet.config';
import { smtpEndpoint } from '../services/bookings/src/notifications/email-sender';
import { crdErrors, K8sObject, loadCrdValidators, renderOverlay } from './k8s/render-manifests';

// Renders every overlay with `kubectl kustomize` and validates each object: core kinds against
// the Kubernetes OpenAPI schemas (kubernetes-models), Strimzi and CloudNativePG kinds against
// their CRDs' schemas where /work/shared/crds (or CRD_SCHEMAS_DIR) holds them, then the rules the
// platform relies on. Kafka topics and users: check-kafka-manifests.spec.ts.

const repoRoot = join(__dirname, '..');
const SERVICES = ['gateway', 'bookings', 'referrals', 'wallet', 'payouts'] as const;
type ServiceName = (typeof SERVICES)[number];
const DB_SERVICES = SERVICES.filter((s) => s !== 'gateway');
const PORTS: Record<ServiceName, number> = {
  gateway: 3000,
  bookings: 3001,
  referrals: 3002,
  wallet: 3003,
  payouts: 3004,
};
/** The variables each service's validated config class reads. */
const CONFIG_KEYS: Record<ServiceName, string[]> = {
  gateway: Object.keys(new GatewayConfig()),
  bookings: Object.keys(new BookingsConfig()),
  referrals: Object.keys(new ReferralsConfig()),
  wallet: Object.keys(new WalletConfig()),
  payouts: Object.keys(new PayoutsConfig()),
};
const MIGRATION_KEYS = Object.keys(new MigrationConfig());
// Who may call each backend (NetworkPolicy): payouts asks bookings for connected accounts,
// bookings asks the wallet for checkout holds and referrals for a signup's attribution.
const ALLOWED_CALLERS: Record<string, string[]> = {
  bookings: ['gateway', 'payouts'],
  referrals: ['gateway', 'bookings'],
  wallet: ['gateway', 'bookings'],
  payouts: ['gateway'],
};
const NAMESPACE = 'rewards';
const CRD_DIR = process.env.CRD_SCHEMAS_DIR ?? '/work/shared/crds';
const crdValidators = loadCrdValidators(CRD_DIR);
if (!crdValidators) {
  console.log(`${CRD_DIR} does not exist: Strimzi and CNPG objects are not schema-checked`);
}

type Validator = (obj: K8sObject) => { validate(): void };
const validators: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o),
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/Service': (o) => new Service(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'batch/v1/Job': (o) => new Job(o),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o),
  'networking.k8s.io/v1/Ingress': (o) => new Ingress(o),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
  'monitoring.coreos.com/v1/PodMonitor': (o) => new PodMonitor(o as unknown as IPodMonitor),
  'monitoring.coreos.com/v1/PrometheusRule': (o) =>
    new PrometheusRule(o as unknown as IPrometheusRule),
};
const OPERATOR_KINDS = ['KafkaTopic', 'KafkaUser', 'Kafka', 'KafkaNodePool', 'Cluster'];

const of = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const byName = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

function must(obj: K8sObject | undefined, what = 'object'): K8sObject {
  if (!obj) throw new Error(`${what} is missing from the rendered manifests`);
  return obj;
}

function podOf(objects: K8sObject[], kind: 'Deployment' | 'Job', name: string): IPodSpec {
  const found = must(byName(objects, kind, name), `${kind} ${name}`);
  const spec =
    kind === 'Deployment'
      ? new Deployment(found).spec?.template.spec
      : new Job(found).spec?.template.spec;
  if (!spec) throw new Error(`${kind} ${name} has no pod spec`);
  return spec;
}

function secretRefs(containers: IContainer[]): string[] {
  return containers.flatMap((c) =>
    (c.env ?? []).flatMap((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      return ref ? [`${ref.name}/${ref.key}`] : [];
    }),
  );
}

/** Every variable a container gets: its env entries and the keys of ConfigMaps it loads. */
function envKeys(objects: K8sObject[], container: IContainer): string[] {
  const fromMaps = (container.envFrom ?? []).flatMap((source) => {
    const name = source.configMapRef?.name ?? '(not a ConfigMap)';
    const map = must(byName(objects, 'ConfigMap', name), `ConfigMap ${name}`);
    return Object.keys((map as { data?: object }).data ?? {});
  });
  return [...(container.env ?? []).map((e) => e.name), ...fromMaps];
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

/** Labels of the pods a Deployment runs. */
function podLabels(objects: K8sObject[], name: string): Record<string, string> {
  const found = must(byName(objects, 'Deployment', name), `Deployment ${name}`);
  return new Deployment(found).spec?.template.metadata?.labels ?? {};
}

/** The egress rules of every NetworkPolicy that selects the service's pods. */
function egressRules(objects: K8sObject[], name: string) {
  const labels = podLabels(objects, name);
  return of(objects, 'NetworkPolicy')
    .map((o) => new NetworkPolicy(o as INetworkPolicy))
    .filter((p) =>
      Object.entries(p.spec?.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    )
    .flatMap((p) => p.spec?.egress ?? []);
}

/** Where a peer is: a platform service, the Kafka brokers, kube-dns, a namespace, outside. */
function peerName(peer: INetworkPolicyPeer | undefined): string {
  if (!peer) return 'anywhere';
  if (peer.ipBlock) return 'outside the cluster';
  const pods = peer.podSelector?.matchLabels ?? {};
  const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  if (namespace === 'kube-system' && pods['k8s-app'] === 'kube-dns') return 'kube-dns';
  if (namespace) return `namespace ${namespace}`;
  if (pods['strimzi.io/kind'] === 'Kafka') return `Kafka ${pods['strimzi.io/cluster']}`;
  return `service ${pods['app.kubernetes.io/name'] ?? '(any pod)'}`;
}

/** Every destination the service's pods may open, as `<peer>:<port>/<protocol>`. */
function egressAllowed(objects: K8sObject[], name: string): Set<string> {
  const allowed = new Set<string>();
  for (const rule of egressRules(objects, name)) {
    const peers: Array<INetworkPolicyPeer | undefined> = rule.to?.length ? rule.to : [undefined];
    for (const peer of peers) {
      for (const port of rule.ports ?? [{}]) {
        allowed.add(`${peerName(peer)}:${port.port ?? '*'}/${port.protocol ?? 'TCP'}`);
      }
    }
  }
  return allowed;
}

/** A variable's value as the container gets it from its env or its ConfigMaps (not Secrets). */
function configValue(objects: K8sObject[], container: IContainer, key: string): string | undefined {
  const direct = (container.env ?? []).find((e) => e.name === key);
  if (direct) return direct.value;
  for (const source of container.envFrom ?? []) {
    const map = byName(objects, 'ConfigMap', source.configMapRef?.name ?? '') as
      { data?: Record<string, string> } | undefined;
    const value = map?.data?.[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/**
 * What the service's code calls, read from the configuration it is given: the services its
 * *_URL variables name, Kafka on its KAFKA_BROKERS port, the OTLP collector its endpoint names,
 * SMTP (bookings), Stripe (payouts), Postgres (services with a schema), Redis (the gateway), DNS.
 */
function expectedEgress(objects: K8sObject[], name: ServiceName, app: IContainer): Set<string> {
  const expected = new Set(['kube-dns:53/UDP', 'kube-dns:53/TCP']);
  for (const key of CONFIG_KEYS[name].filter((k) => k.endsWith('_URL'))) {
    const value = configValue(objects, app, key);
    if (value === undefined || !/^https?:/.test(value)) continue;
    const url = new URL(value);
    if ((SERVICES as readonly string[]).includes(url.hostname)) {
      expected.add(`service ${url.hostname}:${portOf(url)}/TCP`);
    }
  }
  const brokers = configValue(objects, app, 'KAFKA_BROKERS');
  if (name !== 'gateway') {
    expect(brokers).toBeDefined();
    for (const broker of (brokers as string).split(',')) {
      expected.add(`Kafka rewards:${broker.split(':')[1]}/TCP`);
    }
    // DATABASE_URL is a Secret: the port deploy/k8s/README.md documents for it.
    expected.add('anywhere:5432/TCP');
  }
  const otlp = configValue(objects, app, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otlp) {
    const url = new URL(otlp);
    // <collector>.<namespace>: the collector runs in that namespace.
    const namespace = url.hostname.split('.')[1];
    expect(namespace).toBeDefined();
    expected.add(`namespace ${namespace}:${portOf(url)}/TCP`);
  }
  if (name === 'bookings') {
    const smtp = smtpEndpoint(configValue(objects, app, 'SMTP_URL') ?? '');
    expected.add(`outside the cluster:${smtp.port}/TCP`);
  }
  if (name === 'payouts') {
    const stripe = configValue(objects, app, 'STRIPE_API_URL') ?? 'https://api.stripe.com';
    expected.add(`outside the cluster:${portOf(new URL(stripe))}/TCP`);
  }
  if (name === 'gateway') {
    // REDIS_URL is a Secret: redis:// on 6379 or rediss:// on 6380 (deploy/k8s/README.md).
    expected.add('anywhere:6379/TCP');
    expected.add('anywhere:6380/TCP');
  }
  return expected;
}

/** Whether an IPv4 address lies in a CIDR block. */
function ipv4In(address: string, cidr: string): boolean {
  const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(address) / size) === Math.floor(toInt(base) / size);
}

describe.each(['dev', 'prod'])('overlay %s', (overlay) => {
  const objects = renderOverlay(repoRoot, overlay);

  it('renders only objects that pass their schema, in the rewards namespace, without Secrets', () => {
    for (const obj of objects) {
      const key = `${obj.apiVersion}/${obj.kind}`;
      if (OPERATOR_KINDS.includes(obj.kind)) {
        if (!crdValidators) continue;
        expect({ key, name: obj.metadata.name, errors: crdErrors(crdValidators, obj) }).toEqual({
          key,
          name: obj.metadata.name,
          errors: [],
        });
      } else {
        const validator = validators[key];
        if (!validator) throw new Error(`no validator for ${key} (${obj.metadata.name})`);
        expect(() => validator(obj).validate()).not.toThrow();
      }
      if (obj.kind !== 'Namespace') expect(obj.metadata.namespace).toBe(NAMESPACE);
    }
    expect(of(objects, 'Secret')).toEqual([]);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(SERVICES)('has a Deployment and a matching ClusterIP Service for %s', (name) => {
    const service = new Service(must(byName(objects, 'Service', name)));
    const pod = podOf(objects, 'Deployment', name);
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.selector).toEqual({ 'app.kubernetes.io/name': name });
    expect(service.spec?.ports).toEqual([
      expect.objectContaining({ port: PORTS[name], targetPort: 'http' }),
    ]);
    const [app] = pod.containers;
    expect(app.ports).toEqual(
      expect.arrayContaining([{ name: 'http', containerPort: PORTS[name] }]),
    );
  });

  it.each(SERVICES)('runs %s hardened, probed, drained and versioned', (name) => {
    const pod = podOf(objects, 'Deployment', name);
    const [app] = pod.containers;
    expect(app.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(app.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(app.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(app.lifecycle?.preStop?.exec?.command).toEqual(['sleep', expect.any(String)]);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expectHardened(container);
      expect(container.image).toMatch(
        new RegExp(`^rewards/${name}:(?!latest$|0\\.0\\.0-base$)[\\w.-]+$`),
      );
    }
  });

  it.each(SERVICES)('gives %s only variables its validated config reads', (name) => {
    const pod = podOf(objects, 'Deployment', name);
    const keys = envKeys(objects, pod.containers[0]);
    expect(keys.filter((k) => !CONFIG_KEYS[name].includes(k))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'HOST', 'NODE_ENV']));
    expect(new Set(keys).size).toBe(keys.length);
    for (const init of pod.initContainers ?? []) {
      expect(envKeys(objects, init).filter((k) => !MIGRATION_KEYS.includes(k))).toEqual([]);
    }
  });

  it.each(DB_SERVICES)(
    'migrates %s in a Job as the owner and runs it as the runtime role',
    (name) => {
      const job = podOf(objects, 'Job', `${name}-migrate`);
      expect(job.containers.map((c) => c.command)).toEqual([
        ['node', `dist/services/${name}/src/db/migrate.js`],
      ]);
      expect(secretRefs(job.containers)).toEqual([`${name}-db-owner/DATABASE_URL`]);
      expect(
        envKeys(objects, job.containers[0]).filter((k) => !MIGRATION_KEYS.includes(k)),
      ).toEqual([]);
      expectHardened(job.containers[0]);
      const pod = podOf(objects, 'Deployment', name);
      expect(pod.initContainers?.map((c) => c.command)).toEqual([
        ['node', `dist/services/${name}/src/db/migrate.js`, '--wait'],
      ]);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const refs = secretRefs([container]);
        expect(refs).toContain(`${name}-secrets/DATABASE_URL`);
        expect(refs.filter((r) => r.includes('-db-owner/'))).toEqual([]);
      }
    },
  );

  it('references only Secrets and keys documented in deploy/k8s/README.md', () => {
    const readme = readFileSync(join(repoRoot, 'deploy/k8s/README.md'), 'utf8');
    const pods = [
      ...of(objects, 'Deployment').map((o) => podOf(objects, 'Deployment', o.metadata.name)),
      ...of(objects, 'Job').map((o) => podOf(objects, 'Job', o.metadata.name)),
    ];
    const refs = new Set(
      pods.flatMap((pod) => secretRefs([...pod.containers, ...(pod.initContainers ?? [])])),
    );
    expect(refs).toContain('gateway-secrets/JWT_SECRET');
    for (const ref of refs) {
      const [secret, key] = ref.split('/');
      expect(readme).toContain(`| \`${secret}\` | \`${key}\` |`);
    }
  });

  it('denies all traffic by default and lets only the gateway (and payouts into bookings, bookings into wallet) reach the backends', () => {
    const policies = of(objects, 'NetworkPolicy').map(
      (o) => new NetworkPolicy(o as INetworkPolicy),
    );
    const deny = policies.find((p) => p.metadata?.name === 'default-deny');
    expect(deny?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'rewards-platform' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    const selecting = (name: string) =>
      policies.filter((p) => p.spec?.podSelector.matchLabels?.['app.kubernetes.io/name'] === name);
    // The service port: callers only. The metrics port: Prometheus' namespace only.
    const onPort = (name: string, port: string) =>
      selecting(name)
        .flatMap((p) => p.spec?.ingress ?? [])
        .filter((r) => (r.ports ?? []).some((p) => p.port === port));
    for (const name of SERVICES) {
      expect(onPort(name, 'metrics').flatMap((r) => r.from ?? [])).toEqual([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      ]);
      for (const rule of selecting(name).flatMap((p) => p.spec?.ingress ?? [])) {
        expect(rule.ports?.map((p) => p.port)).toEqual([expect.stringMatching(/^(http|metrics)$/)]);
      }
    }
    for (const [backend, callers] of Object.entries(ALLOWED_CALLERS)) {
      const rules = onPort(backend, 'http');
      const sources = rules
        .flatMap((r) => r.from ?? [{}])
        .map((peer) =>
          peer.namespaceSelector || peer.ipBlock
            ? 'outside'
            : (peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'any pod'),
        );
      expect(sources.sort()).toEqual([...callers].sort());
    }
    expect(onPort('gateway', 'http').flatMap((r) => r.from ?? [])).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
    ]);
    // Only payouts (Stripe) and bookings (SMTP) may leave the cluster.
    for (const name of SERVICES) {
      const egress = selecting(name).flatMap((p) => p.spec?.egress ?? []);
      expect(egress.length).toBeGreaterThan(0);
      const external = egress.filter((r) => (r.to ?? []).some((peer) => peer.ipBlock));
      expect(external.length).toBe(name === 'payouts' || name === 'bookings' ? 1 : 0);
    }
  });

  it('lets each service-to-service caller out to the backend it calls, and the gateway to Redis', () => {
    const policies = of(objects, 'NetworkPolicy').map(
      (o) => new NetworkPolicy(o as INetworkPolicy),
    );
    const egressOf = (name: string) =>
      policies
        .filter((p) => p.spec?.podSelector.matchLabels?.['app.kubernetes.io/name'] === name)
        .flatMap((p) => p.spec?.egress ?? []);
    for (const [backend, callers] of Object.entries(ALLOWED_CALLERS)) {
      for (const caller of callers) {
        const reaches = egressOf(caller).some((rule) =>
          (rule.to ?? []).some(
            (peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === backend,
          ),
        );
        expect({ caller, backend, reaches }).toEqual({ caller, backend, reaches: true });
      }
    }
    const redis = egressOf('gateway').filter((rule) =>
      (rule.ports ?? []).some((p) => p.port === 6379),
    );
    expect(redis).toHaveLength(1);
  });

  it.each(SERVICES)('lets %s out to exactly what its configuration makes it call', (name) => {
    const [app] = podOf(objects, 'Deployment', name).containers;
    const allowed = egressAllowed(objects, name);
    const expected = expectedEgress(objects, name, app);
    expect([...allowed].sort()).toEqual([...expected].sort());
  });

  it('opens bookings to the SMTP server SMTP_URL names, its credentials kept in a Secret', () => {
    const [app] = podOf(objects, 'Deployment', 'bookings').containers;
    const smtpUrl = configValue(objects, app, 'SMTP_URL');
    expect(smtpUrl).toBeDefined();
    // The URL is configuration (a ConfigMap): the login lives in bookings-secrets.
    const url = new URL(smtpUrl as string);
    expect({ username: url.username, password: url.password }).toEqual({
      username: '',
      password: '',
    });
    const env = app.env ?? [];
    for (const variable of ['SMTP_USERNAME', 'SMTP_PASSWORD']) {
      expect(env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef).toEqual({
        name: 'bookings-secrets',
        key: variable,
        optional: true,
      });
    }
    const { host, port } = smtpEndpoint(smtpUrl as string);
    const rules = egressRules(objects, 'bookings').filter((r) =>
      (r.ports ?? []).some((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP'),
    );
    expect(rules).toHaveLength(1);
    // An address literal must lie inside the rule's block; a name resolves outside the cluster.
    const blocks = (rules[0].to ?? []).map((peer) => peer.ipBlock);
    expect(blocks.length).toBeGreaterThan(0);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
      expect(
        blocks.some((b) => b && ipv4In(host, b.cidr) && !b.except?.some((e) => ipv4In(host, e))),
      ).toBe(true);
    }
  });

  it.each(SERVICES)(
    'gives %s the internal key from a Secret only (and the gateway its Redis URL)',
    (name) => {
      const [app] = podOf(objects, 'Deployment', name).containers;
      const env = app.env ?? [];
      const fromSecret = (variable: string) => {
        const entry = env.find((e) => e.name === variable);
        expect(entry?.value).toBeUndefined();
        return entry?.valueFrom?.secretKeyRef;
      };
      expect(fromSecret('INTERNAL_AUTH_KEY')).toEqual({
        name: `${name}-secrets`,
        key: 'INTERNAL_AUTH_KEY',
      });
      if (name === 'gateway') {
        expect(fromSecret('REDIS_URL')).toEqual({
          name: 'gateway-secrets',
          key: 'REDIS_URL',
          optional: true,
        });
      }
      // No ConfigMap carries a secret in plain text.
      for (const map of of(objects, 'ConfigMap') as Array<{ data?: Record<string, string> }>) {
        for (const secret of ['INTERNAL_AUTH_KEY', 'REDIS_URL', 'JWT_SECRET']) {
          expect(map.data ?? {}).not.toHaveProperty(secret);
        }
      }
    },
  );

  it('exposes only the gateway through an Ingress', () => {
    for (const ingress of of(objects, 'Ingress').map((o) => new Ingress(o))) {
      const backends = (ingress.spec?.rules ?? []).flatMap((r) =>
        (r.http?.paths ?? []).map((p) => p.backend.service?.name),
      );
      expect(new Set(backends)).toEqual(new Set(['gateway']));
    }
    expect(of(objects, 'Ingress')).toHaveLength(overlay === 'prod' ? 1 : 0);
  });

  it.each(SERVICES)('serves %s metrics on a port no Service or Ingress exposes', (name) => {
    const pod = podOf(objects, 'Deployment', name);
    const [app] = pod.containers;
    const platformConfig = of(objects, 'ConfigMap').find((o) =>
      o.metadata.name.startsWith('platform-config-'),
    ) as { data?: Record<string, string> } | undefined;
    const port = Number(platformConfig?.data?.METRICS_PORT);
    expect(app.ports).toContainEqual({ name: 'metrics', containerPort: port });
    for (const service of of(objects, 'Service').map((o) => new Service(o))) {
      for (const p of service.spec?.ports ?? []) {
        expect([p.port, p.targetPort]).not.toContain(port);
        expect(p.targetPort).not.toBe('metrics');
      }
    }
  });

  it('alerts on series the services export', () => {
    const rule = new PrometheusRule(
      must(byName(objects, 'PrometheusRule', 'rewards-platform')) as unknown as IPrometheusRule,
    );
    const rules = rule.spec?.groups?.flatMap((g) => g.rules ?? []) ?? [];
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'KafkaConsumerLagGrowing',
        'OutboxEventsNotPublished',
        'DeadLettersWaiting',
        'PayoutsFailing',
        'KafkaConsumerRestarting',
        'KafkaConsumerStalled',
        'InternalErrors',
        'ServicesUnavailable',
        'ClientsRefusedOften',
      ]),
    );
    const exported =
      readFileSync(join(repoRoot, 'libs/service-kit/src/metrics/service-metrics.ts'), 'utf8') +
      readFileSync(join(repoRoot, 'libs/service-kit/src/metrics/messaging-gauges.ts'), 'utf8') +
      readFileSync(join(repoRoot, 'services/payouts/src/stripe/stripe-metrics.ts'), 'utf8');
    for (const r of rules) {
      // Metric names: snake_case words with an underscore, outside label matchers, not calls.
      const names = (
        String(r.expr)
          .replace(/\{[^}]*\}/g, '')
          .match(/\b[a-z]+(?:_[a-z0-9]+)+\b(?!\s*\()/g) ?? []
      ).filter((n) => !/^(by|without)$/.test(n));
      expect(names.length).toBeGreaterThan(0);
      for (const metric of names) {
        const base = metric.replace(/_(bucket|count|sum)$/, '');
        expect({ alert: r.alert, metric, exported: exported.includes(`name: '${base}'`) }).toEqual({
          alert: r.alert,
          metric,
          exported: true,
        });
      }
    }
  });

  if (overlay === 'dev') {
    it('runs one replica of everything, without autoscaling', () => {
      for (const d of of(objects, 'Deployment'))
        expect(new Deployment(d as IDeployment).spec?.replicas).toBe(1);
      expect(of(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    });
  } else {
    it.each(SERVICES)(
      'autoscales %s, leaves it the replica count and bounds disruptions',
      (name) => {
        const hpa = new HorizontalPodAutoscaler(
          must(byName(objects, 'HorizontalPodAutoscaler', name)),
        );
        expect(hpa.spec?.scaleTargetRef).toEqual({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name,
        });
        expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2);
        const deployment = new Deployment(must(byName(objects, 'Deployment', name)));
        expect(deployment.spec?.replicas).toBeUndefined();
        const pdb = new PodDisruptionBudget(must(byName(objects, 'PodDisruptionBudget', name)));
        expect(pdb.spec?.selector?.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      },
    );

    it('runs a Strimzi Kafka cluster and a CloudNativePG cluster', () => {
      const kafka = must(byName(objects, 'Kafka', 'rewards'), 'Kafka rewards') as {
        spec?: { kafka?: { listeners?: object[]; authorization?: object } };
      };
      expect(kafka.spec?.kafka?.listeners).toEqual([
        expect.objectContaining({ tls: true, authentication: { type: 'scram-sha-512' } }),
      ]);
      expect(kafka.spec?.kafka?.authorization).toEqual({ type: 'simple' });
      expect(must(byName(objects, 'Cluster', 'rewards-db'), 'CNPG Cluster')).toMatchObject({
        apiVersion: 'postgresql.cnpg.io/v1',
        spec: { instances: 3 },
      });
    });
  }
});
