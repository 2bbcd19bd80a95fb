// The embedded platform's pure parts: which services exist, their ports, the environment each
// child process gets, and how status is reported. No I/O here, so all of it is unit-tested.

import { isAbsolute, join, relative, resolve } from 'node:path';
import { passwordVariable } from './provisioning-sql';

export const SERVICES = ['gateway', 'bookings', 'referrals', 'wallet', 'payouts'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Services that own a Postgres schema and talk to Kafka; each has a migrate command. */
export const DATA_SERVICES = ['bookings', 'referrals', 'wallet', 'payouts'] as const;
type DataServiceName = (typeof DATA_SERVICES)[number];

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 3000,
  bookings: 3001,
  referrals: 3002,
  wallet: 3003,
  payouts: 3004,
};

const DEFAULT_FAKE_STRIPE_PORT = 12111;
const LOCAL_HOST = '127.0.0.1';
/** Any sk_test_ key works against the fake; a real-looking prefix keeps the SDK happy. */
export const FAKE_STRIPE_SECRET_KEY = 'sk_test_embedded_platform';

export type Env = Record<string, string | undefined>;

/** `GATEWAY_PORT`, `BOOKINGS_PORT`, ...: where the platform reads each port override. */
export function portVariable(service: ServiceName): string {
  return `${service.toUpperCase()}_PORT`;
}

/**
 * `BOOKINGS_DB_PASSWORD`, `BOOKINGS_DB_OWNER_PASSWORD`, ...: a service's runtime and owner
 * Postgres passwords, from env or the secrets file.
 */
function dbPasswordVariables(service: string): string[] {
  return [passwordVariable(service, 'runtime'), passwordVariable(service, 'owner')];
}

export function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got '${raw}'`);
  }
  return port;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  }
  return value;
}

/** Each service's port, defaults overridden by `<SERVICE>_PORT`; two services on one port fail. */
export function resolvePorts(env: Env): Record<ServiceName, number> {
  const ports = Object.fromEntries(
    SERVICES.map((s) => [s, parsePort(portVariable(s), env[portVariable(s)], DEFAULT_PORTS[s])]),
  ) as Record<ServiceName, number>;
  const seen = new Map<number, ServiceName>();
  for (const service of SERVICES) {
    const other = seen.get(ports[service]);
    if (other !== undefined) {
      throw new Error(`${other} and ${service} are both set to port ${ports[service]}`);
    }
    seen.set(ports[service], service);
  }
  return ports;
}

export function serviceUrl(port: number): string {
  return `http://${LOCAL_HOST}:${port}`;
}

export interface PlatformPlan {
  ports: Record<ServiceName, number>;
  /** Embedded Postgres unless DATABASE_URL (an admin connection) is set. */
  embeddedPostgres: boolean;
  /** Kafka mock cluster unless KAFKA_BROKERS is set. */
  embeddedKafka: boolean;
  /** Fake Stripe unless STRIPE_SECRET_KEY is set. */
  fakeStripe: boolean;
  fakeStripePort: number;
  /** The embedded broker's fixed port (KAFKA_MOCK_PORT); undefined: a free one per start. */
  kafkaMockPort: number | undefined;
  partitions: number;
  replicationFactor: number;
  /** Secrets taken from env or the per-install secrets file. */
  secretNames: string[];
}

/** What the platform will start and with which settings; throws on a bad or missing variable. */
export function planPlatform(env: Env): PlatformPlan {
  const embeddedPostgres = !env.DATABASE_URL;
  const fakeStripe = !env.STRIPE_SECRET_KEY;
  // A real Stripe account's webhook secret comes from its dashboard, never from us.
  if (!fakeStripe && !env.STRIPE_WEBHOOK_SECRET) {
    throw new Error('STRIPE_SECRET_KEY is set, so STRIPE_WEBHOOK_SECRET must be set too');
  }
  return {
    ports: resolvePorts(env),
    embeddedPostgres,
    embeddedKafka: !env.KAFKA_BROKERS,
    fakeStripe,
    fakeStripePort: parsePort('FAKE_STRIPE_PORT', env.FAKE_STRIPE_PORT, DEFAULT_FAKE_STRIPE_PORT),
    kafkaMockPort: env.KAFKA_MOCK_PORT
      ? parsePort('KAFKA_MOCK_PORT', env.KAFKA_MOCK_PORT, 0)
      : undefined,
    partitions: positiveInt('KAFKA_TOPIC_PARTITIONS', env.KAFKA_TOPIC_PARTITIONS, 3),
    replicationFactor: positiveInt(
      'KAFKA_TOPIC_REPLICATION_FACTOR',
      env.KAFKA_TOPIC_REPLICATION_FACTOR,
      1,
    ),
    secretNames: [
      'JWT_SECRET',
      'CHECKOUT_QUOTE_SECRET',
      'INTERNAL_AUTH_KEY',
      ...DATA_SERVICES.flatMap(dbPasswordVariables),
      ...(embeddedPostgres ? ['POSTGRES_ADMIN_PASSWORD'] : []),
      ...(fakeStripe ? ['STRIPE_WEBHOOK_SECRET'] : []),
    ],
  };
}

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Unset means the real Stripe API. */
  apiUrl?: string;
}

export interface PlatformSettings {
  ports: Record<ServiceName, number>;
  databaseUrls: Record<DataServiceName, string>;
  kafkaBrokers: string;
  jwtSecret: string;
  /** Signs bookings' checkout quotes. */
  checkoutQuoteSecret: string;
  /** Signs the gateway's (and each service's) calls to the services; never leaves them. */
  internalAuthKey: string;
  stripe: StripeSettings;
  /** Where bookings sends email (the local sink unless SMTP_URL is set) and logs SMS. */
  mail?: { smtpUrl: string; smsLogFile: string };
}

// Set by the platform for each child, so a stray value in the caller's shell (the admin
// DATABASE_URL above all) never reaches a service, and secrets only reach their one user.
const PLATFORM_MANAGED = new Set([
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'JWT_SECRET',
  'CHECKOUT_QUOTE_SECRET',
  'INTERNAL_AUTH_KEY',
  'AUTH_DEV_TOKENS',
  'BOOKINGS_URL',
  'REFERRALS_URL',
  'WALLET_URL',
  'PAYOUTS_URL',
  'PUBLIC_BASE_URL',
  'SMTP_URL',
  'SMS_LOG_FILE',
  'STRIPE_SECRET_KEY',
  'STRIPE_API_URL',
  'STRIPE_WEBHOOK_SECRET',
  'POSTGRES_ADMIN_PASSWORD',
]);

function inherited(base: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || PLATFORM_MANAGED.has(key) || key.endsWith('_DB_PASSWORD')) continue;
    env[key] = value;
  }
  return env;
}

function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}

function isDataService(service: ServiceName): service is DataServiceName {
  return (DATA_SERVICES as readonly string[]).includes(service);
}

/** Where a service serves GET /metrics: its port + 6460 (3000 -> 9460), or a free one. */
function metricsPort(servicePort: number): number {
  const port = servicePort + 6460;
  return servicePort > 0 && port <= 65535 ? port : 0;
}

/**
 * The full environment of one service's process (also of its migrate command): the caller's
 * environment minus what the platform manages, plus what docs/architecture.md asks for.
 */
export function buildServiceEnv(
  service: ServiceName,
  settings: PlatformSettings,
  base: Env,
): Record<string, string> {
  const { ports } = settings;
  const env: Record<string, string> = {
    ...inherited(base),
    NODE_ENV: base.NODE_ENV ?? 'development',
    PORT: String(ports[service]),
    HOST: LOCAL_HOST,
    METRICS_PORT: String(metricsPort(ports[service])),
    // Names its spans when OTEL_EXPORTER_OTLP_ENDPOINT (inherited) turns tracing on.
    OTEL_SERVICE_NAME: service,
    INTERNAL_AUTH_KEY: settings.internalAuthKey,
  };
  if (isDataService(service)) {
    env.DATABASE_URL = settings.databaseUrls[service];
    env.DATABASE_SCHEMA = service;
    env.KAFKA_BROKERS = settings.kafkaBrokers;
    // The embedded mock answers an idle fetch only at its deadline: that is each hop's latency.
    env.KAFKA_FETCH_MAX_WAIT_MS = base.KAFKA_FETCH_MAX_WAIT_MS ?? '200';
  }
  switch (service) {
    case 'gateway':
      env.JWT_SECRET = settings.jwtSecret;
      env.AUTH_DEV_TOKENS = String(!isProduction(base));
      env.BOOKINGS_URL = serviceUrl(ports.bookings);
      env.REFERRALS_URL = serviceUrl(ports.referrals);
      env.WALLET_URL = serviceUrl(ports.wallet);
      env.PAYOUTS_URL = serviceUrl(ports.payouts);
      break;
    case 'referrals':
      // Share links point at what clients reach: the gateway.
      env.PUBLIC_BASE_URL = serviceUrl(ports.gateway);
      break;
    case 'payouts':
      env.BOOKINGS_URL = serviceUrl(ports.bookings);
      env.STRIPE_SECRET_KEY = settings.stripe.secretKey;
      env.STRIPE_WEBHOOK_SECRET = settings.stripe.webhookSecret;
      if (settings.stripe.apiUrl !== undefined) env.STRIPE_API_URL = settings.stripe.apiUrl;
      break;
    case 'bookings':
      env.WALLET_URL = serviceUrl(ports.wallet);
      env.CHECKOUT_QUOTE_SECRET = settings.checkoutQuoteSecret;
      // Charges lessons at confirmation and refunds them.
      env.STRIPE_SECRET_KEY = settings.stripe.secretKey;
      if (settings.stripe.apiUrl !== undefined) env.STRIPE_API_URL = settings.stripe.apiUrl;
      // Asked at signup whether a referral will count.
      env.REFERRALS_URL = serviceUrl(ports.referrals);
      if (settings.mail) {
        env.SMTP_URL = settings.mail.smtpUrl;
        env.SMS_LOG_FILE = settings.mail.smsLogFile;
      }
      break;
    case 'wallet':
      break;
  }
  return env;
}

export type ReadyState = 'ready' | 'FAILED';

const NAME_WIDTH = Math.max(...SERVICES.map((s) => s.length)) + 2;

export function formatStatusLine(service: string, url: string, state: ReadyState): string {
  return `  ${service.padEnd(NAME_WIDTH)}${url.padEnd(24)}${state}`;
}

/**
 * Where the embedded platform keeps its data and state (Postgres data, secrets, logs, mail, the
 * status file): PLATFORM_LOCAL_DIR (relative to the checkout), default `.local`. The seeded fault
 * harness gives each of the platforms it runs side by side its own.
 */
export function platformLocalDir(root: string, env: Env): string {
  const asked = env.PLATFORM_LOCAL_DIR;
  return asked ? resolve(root, asked) : join(root, '.local');
}

/** `dir` as the user should read it: relative to the checkout when inside it. */
export function shownPath(root: string, dir: string): string {
  const inside = relative(root, dir);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : dir;
}

/** What the user reads once everything is up: where to go and how to sign in. */
export function formatReadySummary(gatewayUrl: string, env: Env, localDir = '.local'): string[] {
  const lines = [``, `Gateway: ${gatewayUrl}`];
  if (isProduction(env)) {
    lines.push('Dev tokens are off (NODE_ENV=production).');
  } else {
    lines.push(
      'Mint a dev token (role: student | instructor | admin):',
      `  curl -s -X POST ${gatewayUrl}/auth/dev-token -H 'content-type: application/json' \\`,
      `    -d '{"role":"instructor"}'`,
    );
  }
  lines.push(
    `Logs: ${localDir}/logs/<service>.log (appended). Status: ${localDir}/run/platform.json.`,
    'Stop with Ctrl-C (or SIGTERM); SIGUSR2 restarts the embedded Kafka broker.',
  );
  return lines;
}

/**
 * Whether a line of a service's output is worth echoing to the terminal: a JSON log line at
 * error or fatal level, or anything unstructured on stderr (a crash before the logger exists).
 * Returns the text to echo, or undefined.
 */
export function errorLineText(line: string, stream: 'stdout' | 'stderr'): string | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return stream === 'stderr' ? trimmed : undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return stream === 'stderr' ? trimmed : undefined;
  }
  const record = parsed as Record<string, unknown>;
  if (record.level !== 'error' && record.level !== 'fatal') return undefined;
  const message = typeof record.message === 'string' ? record.message : JSON.stringify(record);
  const context = typeof record.context === 'string' ? `${record.context}: ` : '';
  return `${record.level}: ${context}${message}`;
}
