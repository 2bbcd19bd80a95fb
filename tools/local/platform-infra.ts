// What the embedded platform's services run on: Postgres, Kafka and Stripe, each embedded (a
// child process, restarted in place when it dies) or taken from the environment, plus the
// topics a real Kafka needs.
import { allTopicsWithDeadLetters } from '@rewards/contracts';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  Restartable,
  RunningFakeStripe,
  RunningKafkaMock,
  RunningPostgres,
  startFakeStripe,
  startKafkaMock,
  startPostgres,
} from './infra';
import { Env, PlatformPlan, shownPath } from './platform-env';
import {
  InfraState,
  InfraStatus,
  InfrastructureStatus,
  LastExit,
  externalInfra,
  lastExit,
} from './platform-status';
import { locatePostgres, platformDataDir, relocatedDataName, wipeDataDir } from './postgres-home';
import { ExitInfo, isAlive } from './process-control';
import { provisionTopics } from './provision-topics';
import { RestartBackoff } from './restart-backoff';
import { supervise } from './supervise';

/** One embedded piece and what the supervisor knows of it. */
class Component<T extends Restartable> {
  handle: T | undefined;
  state: InfraState = 'running';
  restarts = 0;
  lastExit: LastExit | null = null;
  /** Set while a restart runs (true once it succeeded), so its own stop is not taken for a crash. */
  restarting: Promise<boolean> | undefined;

  constructor(readonly what: string) {}

  status(): InfraStatus {
    if (this.handle === undefined) return externalInfra();
    // Only a running process is worth signalling; a restarting one is on its way out or in.
    const pid = this.state === 'running' ? this.handle.pid : null;
    return {
      embedded: true,
      state: this.state,
      pid,
      processGroup: pid,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }
}

export interface InfrastructureHooks {
  report: (line: string) => void;
  onChange: () => void;
}

export class Infrastructure {
  private readonly postgres = new Component<RunningPostgres>('Postgres');
  private readonly kafka = new Component<RunningKafkaMock>('Kafka mock');
  private readonly stripe = new Component<RunningFakeStripe>('fake Stripe');
  private readonly stripeStateFile: string;
  /** localDir as messages name it. */
  private readonly shownLocalDir: string;

  constructor(
    private readonly plan: PlatformPlan,
    private readonly env: Env,
    private readonly root: string,
    /** .local: embedded data and state live under it. */
    private readonly localDir: string,
    private readonly hooks: InfrastructureHooks,
  ) {
    this.stripeStateFile = join(localDir, 'fake-stripe', 'state.json');
    this.shownLocalDir = shownPath(root, localDir);
  }

  get adminUrl(): string {
    return this.postgres.handle?.adminUrl ?? (this.env.DATABASE_URL as string);
  }

  get brokers(): string {
    return this.kafka.handle?.brokers ?? (this.env.KAFKA_BROKERS as string);
  }

  /** The fake's URL; undefined when the real Stripe is used. */
  get fakeStripeUrl(): string | undefined {
    return this.stripe.handle?.url;
  }

  /** Starts what is embedded, in parallel; on failure, what did start is kept for stop(). */
  async start(postgresAdminPassword: string | undefined): Promise<void> {
    const { plan } = this;
    if (this.env.PLATFORM_FRESH === 'true') this.wipe();
    const [postgres, kafka, stripe] = await Promise.allSettled([
      plan.embeddedPostgres ? this.startPostgres(postgresAdminPassword) : undefined,
      plan.embeddedKafka
        ? startKafkaMock({
            topics: allTopicsWithDeadLetters(),
            partitions: plan.partitions,
            port: plan.kafkaMockPort,
          })
        : undefined,
      plan.fakeStripe
        ? startFakeStripe({ port: plan.fakeStripePort, stateFile: this.stripeStateFile })
        : undefined,
    ]);
    if (postgres.status === 'fulfilled') this.postgres.handle = postgres.value;
    if (kafka.status === 'fulfilled') this.kafka.handle = kafka.value;
    if (stripe.status === 'fulfilled') this.stripe.handle = stripe.value;
    this.hooks.onChange();
    for (const result of [postgres, kafka, stripe]) {
      if (result.status === 'rejected') throw result.reason;
    }
  }

  /** Against a real Kafka, creates the missing topics (the mock made its own). */
  async provisionTopics(): Promise<number> {
    if (this.kafka.handle !== undefined) return 0;
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
    const pg = this.postgres.handle
      ? `embedded, ${new URL(this.adminUrl).host}, data in ${this.shownLocalDir}/postgres`
      : 'from DATABASE_URL';
    const kafka = this.kafka.handle
      ? `mock cluster ${this.brokers}, ${this.plan.partitions} partitions (SIGUSR2 restarts it)`
      : this.brokers;
    const stripe = this.stripe.handle
      ? `fake at ${this.stripe.handle.url}, state in ${this.shownLocalDir}/fake-stripe`
      : 'Stripe API (STRIPE_SECRET_KEY)';
    return [`postgres   ${pg}`, `kafka      ${kafka}`, `stripe     ${stripe}`];
  }

  /** Until `signal` aborts, an embedded piece that dies is restarted in place, with backoff. */
  supervise(signal: AbortSignal): void {
    for (const component of this.components()) {
      const { handle } = component;
      if (handle === undefined) continue;
      void supervise(
        {
          name: component.what,
          pid: () => handle.pid,
          exited: () => this.unexpectedExit(component),
          restart: () => this.restart(component),
        },
        {
          backoff: new RestartBackoff(),
          signal,
          report: this.hooks.report,
          onCrash: (exit: ExitInfo) => {
            component.lastExit = lastExit(exit, new Date());
            this.setState(component, 'restarting');
          },
        },
      );
    }
  }

  /** SIGUSR2: a broker restart on demand, on the same address and with the same topics. */
  async restartBroker(): Promise<void> {
    if (this.kafka.handle === undefined) {
      this.hooks.report(
        'SIGUSR2: Kafka comes from KAFKA_BROKERS, not embedded: nothing to restart',
      );
      return;
    }
    if (this.kafka.restarting !== undefined) return;
    this.hooks.report(`SIGUSR2: restarting the Kafka mock on ${this.brokers}`);
    try {
      await this.restart(this.kafka);
      this.hooks.report(`Kafka mock restarted (pid ${this.kafka.handle.pid})`);
    } catch (err) {
      // The supervisor sees the broker gone and keeps trying, with backoff.
      this.hooks.report(`Kafka mock restart failed: ${String(err)}`);
    }
  }

  status(): InfrastructureStatus {
    const pg = this.postgres.handle;
    const stripe = this.stripe.handle;
    return {
      postgres: {
        ...this.postgres.status(),
        postmasterPid: this.postgres.state === 'running' ? (pg?.postmasterPid ?? null) : null,
        address: pg ? new URL(pg.adminUrl).host : null,
        database: pg ? new URL(pg.adminUrl).pathname.slice(1) : null,
        dataDir: pg?.dataDir ?? null,
      },
      kafka: { ...this.kafka.status(), brokers: this.brokers },
      fakeStripe: {
        ...this.stripe.status(),
        url: stripe?.url ?? null,
        stateFile: stripe ? this.stripeStateFile : null,
      },
    };
  }

  /** Reverse dependency order; by now no service uses any of them. */
  async stop(): Promise<void> {
    for (const component of [this.stripe, this.kafka, this.postgres]) {
      await component.restarting;
      await component.handle?.stop().catch((err: unknown) => {
        this.hooks.report(`stopping ${component.what}: ${String(err)}`);
      });
      if (component.handle !== undefined) this.setState(component, 'stopped');
    }
  }

  private components(): Component<Restartable>[] {
    return [this.postgres, this.kafka, this.stripe];
  }

  /** The current process's exit, unless a deliberate restart caused it: then the next one's. */
  private async unexpectedExit(component: Component<Restartable>): Promise<ExitInfo> {
    const handle = component.handle as Restartable;
    for (;;) {
      const exit = await handle.exited();
      const restarting = component.restarting;
      if (restarting === undefined) return exit;
      // A failed restart leaves the process dead: that is for the supervisor to retry.
      if (!(await restarting)) return exit;
    }
  }

  private async restart(component: Component<Restartable>): Promise<void> {
    const handle = component.handle as Restartable;
    this.setState(component, 'restarting');
    const attempt = handle.restart();
    component.restarting = attempt.then(
      () => true,
      () => false,
    );
    try {
      await attempt;
      component.restarts += 1;
      this.setState(component, 'running');
    } finally {
      component.restarting = undefined;
    }
  }

  private setState(component: Component<Restartable>, state: InfraState): void {
    component.state = state;
    this.hooks.onChange();
  }

  private wipe(): void {
    const dataDir = join(this.localDir, 'postgres');
    const pidFile = join(dataDir, 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    // Never wipe the files of a server that is still running (another platform's).
    if (pid > 0 && isAlive(pid)) throw new Error(`Postgres (pid ${pid}) still runs on ${dataDir}`);
    process.stdout.write(
      `PLATFORM_FRESH=true: wiping ${this.shownLocalDir}/postgres and ${this.shownLocalDir}/fake-stripe\n`,
    );
    wipeDataDir(dataDir);
    rmSync(join(this.localDir, 'fake-stripe'), { recursive: true, force: true });
  }

  private async startPostgres(adminPassword: string | undefined): Promise<RunningPostgres> {
    const location = locatePostgres(this.root, [this.localDir]);
    const dataDir = platformDataDir(
      join(this.localDir, 'postgres'),
      location.home,
      relocatedDataName(this.root, this.localDir),
    );
    if (location.home !== undefined) {
      this.hooks.report(
        `postgres   the postgres user cannot reach this checkout: binaries and data in ${location.home}`,
      );
    }
    const existing = existsSync(join(dataDir, 'PG_VERSION'));
    try {
      return await startPostgres({ dataDir, location, adminPassword });
    } catch (err) {
      const hint = existing
        ? `\n(if ${this.shownLocalDir}/secrets.json was replaced, its admin password no longer matches the ` +
          'data: start once with PLATFORM_FRESH=true to recreate the database)'
        : '';
      throw new Error(`${err instanceof Error ? err.message : String(err)}${hint}`);
    }
  }
}
