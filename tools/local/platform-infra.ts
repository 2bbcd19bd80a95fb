// What the embedded platform's services run on: Postgres, Kafka and Stripe, each embedded (a
// child process) or taken from the environment, plus the topics a real Kafka needs.
import { allTopicsWithDeadLetters } from '@rewards/contracts';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  RunningFakeStripe,
  RunningKafkaMock,
  RunningPostgres,
  startFakeStripe,
  startKafkaMock,
  startPostgres,
} from './infra';
import { Env, PlatformPlan } from './platform-env';
import { locatePostgres, platformDataDir, wipeDataDir } from './postgres-home';
import { provisionTopics } from './provision-topics';
import { isPortFree } from './service-process';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's (embedded Postgres runs as 'postgres' under root).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function checkPortsFree(wanted: { what: string; port: number }[]): Promise<void> {
  const taken: string[] = [];
  for (const { what, port } of wanted) {
    if (!(await isPortFree(port))) taken.push(`${port} for ${what}`);
  }
  if (taken.length > 0) {
    throw new Error(
      `port already in use: ${taken.join(', ')}. Is another platform running? ` +
        'Stop it, or pick other ports with the variables named.',
    );
  }
}

export class Infrastructure {
  private postgres: RunningPostgres | undefined;
  private kafka: RunningKafkaMock | undefined;
  private stripe: RunningFakeStripe | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly plan: PlatformPlan,
    private readonly env: Env,
    /** Embedded Postgres keeps its data here across runs. */
    private readonly postgresDir: string,
  ) {}

  get adminUrl(): string {
    return this.postgres?.adminUrl ?? (this.env.DATABASE_URL as string);
  }

  get brokers(): string {
    return this.kafka?.brokers ?? (this.env.KAFKA_BROKERS as string);
  }

  /** The fake's URL; undefined when the real Stripe is used. */
  get fakeStripeUrl(): string | undefined {
    return this.stripe?.url;
  }

  /** Starts what is embedded, in parallel; on failure, what did start is kept for stop(). */
  async start(postgresAdminPassword: string | undefined): Promise<void> {
    const { plan } = this;
    const [postgres, kafka, stripe] = await Promise.allSettled([
      plan.embeddedPostgres ? this.startPostgres(postgresAdminPassword) : undefined,
      plan.embeddedKafka
        ? startKafkaMock({ topics: allTopicsWithDeadLetters(), partitions: plan.partitions })
        : undefined,
      plan.fakeStripe ? startFakeStripe({ port: plan.fakeStripePort }) : undefined,
    ]);
    if (postgres.status === 'fulfilled') this.postgres = postgres.value;
    if (kafka.status === 'fulfilled') this.kafka = kafka.value;
    if (stripe.status === 'fulfilled') this.stripe = stripe.value;
    for (const result of [postgres, kafka, stripe]) {
      if (result.status === 'rejected') throw result.reason;
    }
  }

  /** Against a real Kafka, creates the missing topics (the mock made its own). */
  async provisionTopics(): Promise<number> {
    if (this.kafka !== undefined) return 0;
    const brokers = this.brokers.split(',').map((b) => b.trim());
    const { partitions, replicationFactor } = this.plan;
    try {
      const topics = allTopicsWithDeadLetters();
      return (await provisionTopics(brokers, topics, partitions, replicationFactor)).length;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`creating topics on KAFKA_BROKERS=${this.brokers}: ${reason}`);
    }
  }

  describe(): string[] {
    const pg = this.postgres
      ? `embedded, ${new URL(this.adminUrl).host}, data in .local/postgres`
      : 'from DATABASE_URL';
    const kafka = this.kafka
      ? `mock cluster ${this.brokers}, ${this.plan.partitions} partitions`
      : this.brokers;
    const stripe = this.stripe ? `fake at ${this.stripe.url}` : 'Stripe API (STRIPE_SECRET_KEY)';
    return [`postgres   ${pg}`, `kafka      ${kafka}`, `stripe     ${stripe}`];
  }

  /** Calls onDeath once if an embedded process goes away on its own (polled: infra.ts gives pids). */
  watch(onDeath: (what: string, pid: number) => void): void {
    this.watchdog = setInterval(() => {
      const dead = this.running().find(({ running }) => !isAlive(running.pid));
      if (dead === undefined) return;
      clearInterval(this.watchdog);
      onDeath(dead.what, dead.running.pid);
    }, 1000);
  }

  /** Reverse dependency order; by now no service uses any of them. */
  async stop(report: (line: string) => void): Promise<void> {
    clearInterval(this.watchdog);
    for (const { what, running } of this.running()) {
      await running.stop().catch((err: unknown) => report(`stopping ${what}: ${String(err)}`));
    }
  }

  private running(): { what: string; running: { pid: number; stop(): Promise<void> } }[] {
    const all = [
      { what: 'fake Stripe', running: this.stripe },
      { what: 'Kafka mock', running: this.kafka },
      { what: 'Postgres', running: this.postgres },
    ];
    return all.flatMap((e) => (e.running === undefined ? [] : [{ ...e, running: e.running }]));
  }

  private async startPostgres(adminPassword: string | undefined): Promise<RunningPostgres> {
    const link = this.postgresDir;
    if (this.env.PLATFORM_FRESH === 'true' && existsSync(link)) {
      const pidFile = join(link, 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
      // Never wipe the files of a server that is still running (another platform's).
      if (pid > 0 && isAlive(pid)) throw new Error(`Postgres (pid ${pid}) still runs on ${link}`);
      process.stdout.write('PLATFORM_FRESH=true: wiping .local/postgres\n');
      wipeDataDir(link);
    }
    const root = dirname(dirname(link));
    const location = locatePostgres(root, [dirname(link)]);
    const dataDir = platformDataDir(link, location.home);
    if (location.home !== undefined) {
      process.stdout.write(
        `postgres   the postgres user cannot reach this checkout: binaries and data in ${location.home}\n`,
      );
    }
    const existing = existsSync(join(dataDir, 'PG_VERSION'));
    try {
      return await startPostgres({ dataDir, location, adminPassword });
    } catch (err) {
      const hint = existing
        ? '\n(if .local/secrets.json was replaced, its admin password no longer matches the ' +
          'data: start once with PLATFORM_FRESH=true to recreate the database)'
        : '';
      throw new Error(`${err instanceof Error ? err.message : String(err)}${hint}`);
    }
  }
}
