// The embedded infrastructure for local runs and tests: Postgres, a Kafka-protocol broker and a
// fake Stripe, each a launcher child process that can be restarted in place (same address, same
// data), as a supervisor restarts a crashed one or a test restarts the broker under a service.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaFront } from './kafka-front';
import { Launched, launch, readNumber, readString } from './launcher';
import { PostgresLocation, locatePostgres } from './postgres-home';
import { ExitInfo, isAlive, killGroup, processGroupOf, waitGone } from './process-control';
import { findRepoRoot } from './repo-root';

export interface StartPostgresOptions {
  /** Data directory, kept after stop(); default a temp directory, removed on stop(). */
  dataDir?: string;
  /** Where the binaries are and whom the server runs as; default found for this checkout. */
  location?: PostgresLocation;
  /** Default: a free port on 127.0.0.1 (kept across restarts). */
  port?: number;
  adminPassword?: string;
  readyTimeoutMs?: number;
  /** Loads pg_stat_statements (with planning times); for benchmarks, off by default. */
  statementStats?: boolean;
}

export interface StartKafkaMockOptions {
  topics: string[];
  partitions: number;
  brokerCount?: number;
  /** Port of the first broker, the next ones follow; default free ports. Kept across restarts. */
  port?: number;
  readyTimeoutMs?: number;
}

export interface StartFakeStripeOptions {
  /** Default 12111; 0 picks a free port (kept across restarts). */
  port?: number;
  /** Keeps accounts, transfers and idempotency keys here across restarts; default in memory. */
  stateFile?: string;
  readyTimeoutMs?: number;
}

/** One embedded process that can be restarted where it was. */
export interface Restartable {
  /** The launcher's pid, also its process group id. */
  readonly pid: number;
  /** Resolves when the current process exits, asked to or not. */
  exited(): Promise<ExitInfo>;
  /** The end of the current process's stderr. */
  stderrTail(): string;
  /** Stops what is left of the current process and starts a new one on the same address. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunningPostgres extends Restartable {
  readonly adminUrl: string;
  /** The server's own pid (it runs in the launcher's process group). */
  readonly postmasterPid: number;
  readonly dataDir: string;
}

export interface RunningKafkaMock extends Restartable {
  /** The stable front address clients use; the mock behind it changes on restart. */
  readonly brokers: string;
}

export interface RunningFakeStripe extends Restartable {
  readonly url: string;
}

/** Holds the current launch of one launcher and relaunches it with the same settings. */
class Relaunchable implements Restartable {
  constructor(
    protected launched: Launched,
    private readonly relaunch: () => Promise<Launched>,
  ) {}

  get pid(): number {
    return this.launched.pid;
  }

  exited(): Promise<ExitInfo> {
    return this.launched.exited;
  }

  stderrTail(): string {
    return this.launched.stderrTail();
  }

  async restart(): Promise<void> {
    await this.beforeRelaunch();
    await this.launched.stop();
    this.launched = await this.relaunch();
    this.afterRelaunch();
  }

  stop(): Promise<void> {
    return this.launched.stop();
  }

  protected async beforeRelaunch(): Promise<void> {}

  protected afterRelaunch(): void {}
}

class PostgresProcess extends Relaunchable implements RunningPostgres {
  constructor(
    first: Launched,
    relaunch: () => Promise<Launched>,
    private readonly removeOnStop: boolean,
  ) {
    super(first, relaunch);
  }

  get adminUrl(): string {
    return readString(this.launched.ready, 'adminUrl');
  }

  get postmasterPid(): number {
    return readNumber(this.launched.ready, 'postmasterPid');
  }

  get dataDir(): string {
    return readString(this.launched.ready, 'dataDir');
  }

  // A launcher killed on its own leaves its server running in the group: ask that server for a
  // fast shutdown (clean data, no crash recovery) before the group kill of stop() ends the rest.
  protected override async beforeRelaunch(): Promise<void> {
    const pid = this.postmasterPid;
    if (!isAlive(pid) || processGroupOf(pid) !== this.pid) return;
    process.kill(pid, 'SIGINT');
    if (!(await waitGone(pid, 15_000))) killGroup(this.pid);
  }

  override async stop(): Promise<void> {
    await super.stop();
    if (this.removeOnStop) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

class KafkaMockProcess extends Relaunchable implements RunningKafkaMock {
  constructor(
    first: Launched,
    relaunch: () => Promise<Launched>,
    private readonly front: KafkaFront,
  ) {
    super(first, relaunch);
  }

  get brokers(): string {
    return this.front.brokers;
  }

  protected override beforeRelaunch(): Promise<void> {
    this.front.clearUpstream();
    return Promise.resolve();
  }

  protected override afterRelaunch(): void {
    this.front.setUpstream(readString(this.launched.ready, 'brokers'));
  }

  override async stop(): Promise<void> {
    await this.front.close();
    await super.stop();
  }
}

class FakeStripeProcess extends Relaunchable implements RunningFakeStripe {
  get url(): string {
    return readString(this.launched.ready, 'url');
  }
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const location = opts.location ?? locatePostgres(findRepoRoot(), [tmpdir()]);
  const temporary = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? temporaryDataDir(location);
  const env: Record<string, string> = {
    PG_DATA_DIR: dataDir,
    PG_BIN_DIR: location.nativeDir,
    PG_REMOVE_ORPHANED_DATA: String(temporary),
  };
  if (location.runAs !== undefined) {
    env.PG_RUN_AS_UID = String(location.runAs.uid);
    env.PG_RUN_AS_GID = String(location.runAs.gid);
  }
  if (opts.adminPassword !== undefined) env.PG_ADMIN_PASSWORD = opts.adminPassword;
  if (opts.statementStats === true) env.PG_STATEMENT_STATS = 'true';
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const run = (port: number | undefined): Promise<Launched> =>
    launch('postgres.mjs', port === undefined ? env : { ...env, PG_PORT: String(port) }, timeout);
  let first: Launched;
  try {
    first = await run(opts.port);
  } catch (err) {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const port = Number(new URL(readString(first.ready, 'adminUrl')).port);
  return new PostgresProcess(first, () => run(port), temporary);
}

function temporaryDataDir(location: PostgresLocation): string {
  const parent = location.home === undefined ? tmpdir() : join(location.home, 'clusters');
  mkdirSync(parent, { recursive: true });
  // Under a relocation home the server's user must be able to enter it, whatever the umask.
  if (location.home !== undefined) chmodSync(parent, 0o755);
  return mkdtempSync(join(parent, 'rewards-pg-'));
}

export async function startKafkaMock(opts: StartKafkaMockOptions): Promise<RunningKafkaMock> {
  const brokerCount = opts.brokerCount ?? 1;
  const env: Record<string, string> = {
    KAFKA_TOPICS: opts.topics.join(','),
    KAFKA_TOPIC_PARTITIONS: String(opts.partitions),
    KAFKA_MOCK_BROKERS: String(brokerCount),
  };
  const run = (): Promise<Launched> => launch('kafka-mock.mjs', env, opts.readyTimeoutMs ?? 15_000);
  const first = await run();
  const ports = Array.from({ length: brokerCount }, (_, i) => (opts.port ? opts.port + i : 0));
  let front: KafkaFront;
  try {
    front = await KafkaFront.listen(ports);
    front.setUpstream(readString(first.ready, 'brokers'));
  } catch (err) {
    await first.stop();
    throw err;
  }
  return new KafkaMockProcess(first, run, front);
}

/** Runs the compiled fake Stripe (dist/tools/local/fake-stripe.js); only works from dist/. */
export async function startFakeStripe(
  opts: StartFakeStripeOptions = {},
): Promise<RunningFakeStripe> {
  const env: Record<string, string> = {};
  if (opts.stateFile !== undefined) env.FAKE_STRIPE_STATE_FILE = opts.stateFile;
  const timeout = opts.readyTimeoutMs ?? 15_000;
  const run = (port: number | undefined): Promise<Launched> =>
    launch(
      'fake-stripe.js',
      port === undefined ? env : { ...env, FAKE_STRIPE_PORT: String(port) },
      timeout,
    );
  const first = await run(opts.port);
  const port = Number(new URL(readString(first.ready, 'url')).port);
  return new FakeStripeProcess(first, () => run(port));
}
