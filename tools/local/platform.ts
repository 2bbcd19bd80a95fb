// The one-command embedded platform (`npm start`): Postgres, a Kafka mock cluster and a fake
// Stripe unless real ones are configured, then roles, schemas, topics, migrations and the five
// services. Ctrl-C stops everything in reverse order. See docs/architecture.md.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadSecrets } from './local-secrets';
import {
  DATA_SERVICES,
  Env,
  FAKE_STRIPE_SECRET_KEY,
  PlatformPlan,
  PlatformSettings,
  SERVICES,
  ServiceName,
  StripeSettings,
  buildServiceEnv,
  dbPasswordVariable,
  formatReadySummary,
  formatStatusLine,
  planPlatform,
  portVariable,
  serviceUrl,
} from './platform-env';
import { Infrastructure, checkPortsFree } from './platform-infra';
import { provisionDatabase } from './provision-database';
import { ServiceProcess, runMigration, spawnService, waitUntilReady } from './service-process';

const READY_TIMEOUT_MS = 60_000;
// A child may die of a signal meant for us too; wait for our own handler before calling it a crash.
const DEATH_SETTLE_MS = 200;

type StopReason = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'died'; what: string };

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const warn = (line: string): void => void process.stderr.write(`${line}\n`);

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root (nx.json) above ${from}`);
  }
}

class Platform {
  private readonly abort = new AbortController();
  private reason: StopReason | undefined;
  private onReason: (reason: StopReason) => void = () => undefined;
  private readonly stopRequested = new Promise<StopReason>((resolve) => (this.onReason = resolve));
  private infra: Infrastructure | undefined;
  private readonly services: ServiceProcess[] = [];
  private readonly localDir: string;

  constructor(
    private readonly root: string,
    private readonly env: Env,
  ) {
    this.localDir = join(root, '.local');
  }

  requestStop(reason: StopReason): void {
    if (this.reason !== undefined) {
      if (reason.kind === 'signal') say('Already stopping; services get SIGKILL after 10 s.');
      return;
    }
    this.reason = reason;
    if (reason.kind === 'signal') say(`\n${reason.signal}: stopping the platform...`);
    this.abort.abort();
    this.onReason(reason);
  }

  async run(): Promise<number> {
    let code: number;
    try {
      await this.start();
      code = (await this.stopRequested).kind === 'signal' ? 0 : 1;
    } catch (err) {
      // A failure caused by a stop request was already explained by whoever requested it.
      if (this.reason === undefined) {
        warn(`\nplatform: ${err instanceof Error ? err.message : String(err)}`);
      }
      code = this.reason?.kind === 'signal' ? 0 : 1;
    }
    await Promise.all(this.services.map((s) => s.stop()));
    await this.infra?.stop(warn);
    say(code === 0 ? 'Platform stopped.' : 'Platform stopped after a failure.');
    return code;
  }

  private checkAborted(): void {
    if (this.abort.signal.aborted) throw new Error('stopped');
  }

  private script(service: string, file: string): string {
    const path = join(this.root, 'dist', 'services', service, 'src', file);
    if (!existsSync(path)) throw new Error(`${relative(this.root, path)} missing: npm run build`);
    return path;
  }

  private async start(): Promise<void> {
    const plan = planPlatform(this.env);
    const mains = SERVICES.map((s) => this.script(s, 'main.js'));
    const migrations = DATA_SERVICES.map((s) => this.script(s, 'db/migrate.js'));
    await checkPortsFree([
      ...SERVICES.map((s) => ({ what: `${s} (${portVariable(s)})`, port: plan.ports[s] })),
      ...(plan.fakeStripe
        ? [{ what: 'fake Stripe (FAKE_STRIPE_PORT)', port: plan.fakeStripePort }]
        : []),
    ]);
    const secrets = loadSecrets(join(this.localDir, 'secrets.json'), plan.secretNames, this.env);
    mkdirSync(join(this.localDir, 'logs'), { recursive: true });

    const infra = new Infrastructure(plan, this.env, join(this.localDir, 'postgres'));
    this.infra = infra;
    await infra.start(secrets.POSTGRES_ADMIN_PASSWORD);
    this.checkAborted();
    infra.watch((what, pid) => {
      if (this.reason !== undefined) return;
      warn(`\n${what} (pid ${pid}) exited unexpectedly.`);
      this.requestStop({ kind: 'died', what });
    });
    for (const line of infra.describe()) say(line);

    const [databaseUrls, topicsCreated] = await Promise.all([
      provisionDatabase(infra.adminUrl, [...DATA_SERVICES], (s) => secrets[dbPasswordVariable(s)]),
      infra.provisionTopics(),
    ]);
    if (!plan.embeddedKafka) say(`kafka      ${topicsCreated} missing topics created`);
    this.checkAborted();
    const settings = this.settings(plan, databaseUrls, secrets, infra);

    // Sequential: one failure at a time, with its output, is easier to read than four.
    for (const [i, service] of DATA_SERVICES.entries()) {
      say(`migrating  ${service}`);
      const env = buildServiceEnv(service, settings, this.env);
      await runMigration(service, migrations[i], env, this.root, this.abort.signal);
      this.checkAborted();
    }

    SERVICES.forEach((s, i) => this.spawn(s, mains[i], buildServiceEnv(s, settings, this.env)));
    say(`Waiting up to ${READY_TIMEOUT_MS / 1000} s for the services to be ready...`);
    const urls = this.services.map((s) => serviceUrl(plan.ports[s.name as ServiceName]));
    const ready = await Promise.all(
      this.services.map((s, i) =>
        waitUntilReady(urls[i], READY_TIMEOUT_MS, this.abort.signal, s.hasExited),
      ),
    );
    this.checkAborted();
    this.services.forEach((s, i) =>
      say(formatStatusLine(s.name, urls[i], ready[i] ? 'ready' : 'FAILED')),
    );
    const failed = this.services.filter((_, i) => !ready[i]);
    if (failed.length > 0) {
      for (const s of failed) this.printTail(s);
      const names = failed.map((s) => s.name).join(', ');
      throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${names}`);
    }
    for (const line of formatReadySummary(serviceUrl(plan.ports.gateway), this.env)) say(line);
  }

  private settings(
    plan: PlatformPlan,
    databaseUrls: Record<string, string>,
    secrets: Record<string, string>,
    infra: Infrastructure,
  ): PlatformSettings {
    const fakeUrl = infra.fakeStripeUrl;
    const stripe: StripeSettings =
      fakeUrl !== undefined
        ? {
            secretKey: FAKE_STRIPE_SECRET_KEY,
            webhookSecret: secrets.STRIPE_WEBHOOK_SECRET,
            apiUrl: fakeUrl,
          }
        : {
            secretKey: this.env.STRIPE_SECRET_KEY as string,
            webhookSecret: this.env.STRIPE_WEBHOOK_SECRET as string,
            apiUrl: this.env.STRIPE_API_URL || undefined,
          };
    return {
      ports: plan.ports,
      databaseUrls: {
        bookings: databaseUrls.bookings,
        referrals: databaseUrls.referrals,
        wallet: databaseUrls.wallet,
        payouts: databaseUrls.payouts,
      },
      kafkaBrokers: infra.brokers,
      jwtSecret: secrets.JWT_SECRET,
      stripe,
    };
  }

  private spawn(service: ServiceName, script: string, env: Record<string, string>): void {
    const proc = spawnService({
      name: service,
      script,
      preload: join(__dirname, 'exit-with-parent.js'),
      env,
      cwd: this.root,
      logFile: join(this.localDir, 'logs', `${service}.log`),
      onErrorLine: (text) => warn(`[${service}] ${text}`),
    });
    this.services.push(proc);
    void proc.exited.then((info) => {
      setTimeout(() => {
        if (this.reason !== undefined) return;
        warn(`\n${service} exited unexpectedly (code ${info.code}, signal ${info.signal}).`);
        this.printTail(proc);
        this.requestStop({ kind: 'died', what: service });
      }, DEATH_SETTLE_MS);
    });
  }

  private printTail(proc: ServiceProcess): void {
    warn(`--- last lines of ${relative(this.root, proc.logFile)} ---`);
    for (const line of proc.tail()) warn(`  ${line}`);
  }
}

async function main(): Promise<number> {
  // A closed terminal must not crash the shutdown with EPIPE/EIO on our own output.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const platform = new Platform(findRepoRoot(__dirname), process.env);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => platform.requestStop({ kind: 'signal', signal }));
  }
  return platform.run();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    warn(`platform: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
