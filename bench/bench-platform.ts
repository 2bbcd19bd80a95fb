// The whole embedded platform, started for one benchmark run with the platform's own pieces
// (tools/local): a fresh Postgres in a temp dir, the Kafka mock cluster, the fake Stripe, roles
// and schemas, migrations, then the five services from dist/ as child processes. Ports are
// picked free, so a run never collides with someone's `./platform start` on 3000-3004.
import { allTopicsWithDeadLetters } from '@rewards/contracts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import {
  RunningFakeStripe,
  RunningKafkaMock,
  RunningPostgres,
  startFakeStripe,
  startKafkaMock,
  startPostgres,
} from '../tools/local/infra';
import {
  DATA_SERVICES,
  FAKE_STRIPE_SECRET_KEY,
  PlatformSettings,
  SERVICES,
  ServiceName,
  buildServiceEnv,
  serviceUrl,
} from '../tools/local/platform-env';
import { provisionDatabase } from '../tools/local/provision-database';
import {
  ServiceProcess,
  runMigration,
  spawnService,
  waitUntilReady,
} from '../tools/local/service-process';

const READY_TIMEOUT_MS = 90_000;

export interface BenchPlatformOptions {
  root: string;
  partitions: number;
  /** Service logs go here. */
  logDir: string;
  /** Extra variables for one service's process, e.g. a profiling preload for referrals. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  say: (line: string) => void;
  /** Loads pg_stat_statements into the server (see statement-stats.ts). */
  statementStats?: boolean;
}

export interface BenchPlatform {
  adminUrl: string;
  brokers: string;
  partitions: number;
  gatewayUrl: string;
  /** Each service's own URL, for measuring one hop without the gateway. */
  serviceUrls: Record<ServiceName, string>;
  services: ReadonlyMap<ServiceName, ServiceProcess>;
  /** Each service's base URL, the gateway's among them. */
  urls: Record<ServiceName, string>;
  fakeStripeUrl: string;
  /** Launcher pids: each launcher's process tree holds the server (postmaster and backends). */
  postgresPid: number;
  kafkaPid: number;
  /** The environment each service was started with (secrets left out). */
  serviceSettings: Record<string, string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const secret = (): string => randomBytes(36).toString('base64url');

/** Tunables a run may set in the caller's environment; recorded with the results. */
const RECORDED_VARIABLES = [
  'CONSUMER_CONCURRENCY',
  'CONSUMER_MAX_BYTES_PER_PARTITION',
  'CONSUMER_COALESCE_MAX_MESSAGES',
  'CONSUMER_COALESCE_MAX_BYTES',
  'CONSUMER_COALESCE_MAX_AGE_MS',
  'OUTBOX_POLL_INTERVAL_MS',
  'DATABASE_STATEMENT_CACHE_SIZE',
  'WALLET_CAPTURE_BATCH_MS',
  'KAFKA_FETCH_MAX_WAIT_MS',
  'LOG_LEVEL',
  'NODE_OPTIONS',
];

export async function startBenchPlatform(opts: BenchPlatformOptions): Promise<BenchPlatform> {
  const script = (service: string, file: string): string => {
    const path = join(opts.root, 'dist', 'services', service, 'src', file);
    if (!existsSync(path)) throw new Error(`${relative(opts.root, path)} missing: npm run build`);
    return path;
  };
  const preload = join(opts.root, 'dist', 'tools', 'local', 'exit-with-parent.js');
  if (!existsSync(preload)) throw new Error('dist/tools/local missing: npm run build');
  mkdirSync(opts.logDir, { recursive: true });

  let postgres: RunningPostgres | undefined;
  let kafka: RunningKafkaMock | undefined;
  let stripe: RunningFakeStripe | undefined;
  const services = new Map<ServiceName, ServiceProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...services.values()].map((s) => s.stop()));
    for (const running of [stripe, kafka, postgres]) await running?.stop().catch(() => undefined);
  };

  try {
    // No dataDir: a fresh cluster in a temp dir, deleted on stop, so counts start at zero.
    [postgres, kafka, stripe] = await Promise.all([
      startPostgres({ adminPassword: secret(), statementStats: opts.statementStats }),
      startKafkaMock({ topics: allTopicsWithDeadLetters(), partitions: opts.partitions }),
      startFakeStripe({ port: 0 }),
    ]);
    opts.say(`postgres ${new URL(postgres.adminUrl).host}, kafka mock ${kafka.brokers}`);

    const passwords = Object.fromEntries(
      DATA_SERVICES.flatMap((s) => [`${s}:owner`, `${s}:runtime`]).map((k) => [k, secret()]),
    );
    const databaseUrls = await provisionDatabase(
      postgres.adminUrl,
      [...DATA_SERVICES],
      (s, kind) => passwords[`${s}:${kind}`],
    );
    const ports = Object.fromEntries(
      await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const)),
    ) as Record<ServiceName, number>;
    const settings: PlatformSettings = {
      ports,
      databaseUrls: {
        bookings: databaseUrls.bookings.runtime,
        referrals: databaseUrls.referrals.runtime,
        wallet: databaseUrls.wallet.runtime,
        payouts: databaseUrls.payouts.runtime,
      },
      kafkaBrokers: kafka.brokers,
      jwtSecret: secret(),
      checkoutQuoteSecret: secret(),
      internalAuthKey: secret(),
      stripe: {
        secretKey: FAKE_STRIPE_SECRET_KEY,
        webhookSecret: `whsec_${secret()}`,
        apiUrl: stripe.url,
      },
    };
    const envOf = (s: ServiceName): Record<string, string> =>
      buildServiceEnv(s, settings, process.env);

    const never = new AbortController().signal;
    for (const service of DATA_SERVICES) {
      opts.say(`migrating ${service}`);
      await runMigration(
        service,
        script(service, 'db/migrate.js'),
        // Migrations run as the schema's owner; the service itself as its runtime role.
        { ...envOf(service), DATABASE_URL: databaseUrls[service].owner },
        opts.root,
        never,
      );
    }
    for (const service of SERVICES) {
      const spawnOptions = {
        name: service,
        script: script(service, 'main.js'),
        preload,
        // Extras reach the service only, not its migration command.
        env: { ...envOf(service), ...opts.serviceEnv?.[service] },
        cwd: opts.root,
        logFile: join(opts.logDir, `${service}.log`),
        // The supervising platform on main labels each start in the log and requires this; a
        // variable rather than a literal, so it also compiles where the option does not exist.
        startNote: 'bench',
        onErrorLine: (text: string) => opts.say(`[${service}] ${text}`),
      };
      const proc = spawnService(spawnOptions);
      services.set(service, proc);
    }
    const ready = await Promise.all(
      SERVICES.map((s) =>
        waitUntilReady(serviceUrl(ports[s]), READY_TIMEOUT_MS, never, () =>
          (services.get(s) as ServiceProcess).hasExited(),
        ),
      ),
    );
    const failed = SERVICES.filter((_, i) => !ready[i]);
    if (failed.length > 0)
      throw new Error(`not ready: ${failed.join(', ')} (logs in ${opts.logDir})`);
    opts.say(`services ready: ${SERVICES.map((s) => `${s} :${ports[s]}`).join(', ')}`);

    const referralsEnv = envOf('referrals');
    return {
      adminUrl: postgres.adminUrl,
      brokers: kafka.brokers,
      partitions: opts.partitions,
      gatewayUrl: serviceUrl(ports.gateway),
      serviceUrls: Object.fromEntries(SERVICES.map((s) => [s, serviceUrl(ports[s])])) as Record<
        ServiceName,
        string
      >,
      services,
      urls: Object.fromEntries(SERVICES.map((s) => [s, serviceUrl(ports[s])])) as Record<
        ServiceName,
        string
      >,
      fakeStripeUrl: stripe.url,
      postgresPid: postgres.pid,
      kafkaPid: kafka.pid,
      serviceSettings: Object.fromEntries(
        RECORDED_VARIABLES.filter((v) => referralsEnv[v] !== undefined).map((v) => [
          v,
          referralsEnv[v],
        ]),
      ),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
