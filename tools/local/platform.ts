// The one-command embedded platform (`./platform start`): Postgres, a Kafka mock cluster and a
// fake Stripe unless real ones are configured, then roles, schemas, topics, migrations and the
// five services, supervised: whatever dies on its own is restarted in place, with backoff.
// SIGINT/SIGTERM stop everything in order; SIGUSR2 restarts the embedded broker. The state of it
// all is in .local/run/platform.json. See docs/architecture.md.
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SmtpSink } from '../../libs/testing/src/smtp-sink';
import { loadSecrets } from './local-secrets';
import {
  DATA_SERVICES,
  Env,
  PlatformPlan,
  SERVICES,
  formatReadySummary,
  formatStatusLine,
  parsePort,
  planPlatform,
  platformLocalDir,
  shownPath,
  portVariable,
  serviceUrl,
} from './platform-env';
import { Infrastructure } from './platform-infra';
import { platformSettings } from './platform-settings';
import { OrchestratorState, STATUS_SIGNALS, writeStatusFile } from './platform-status';
import { passwordVariable, provisionDatabase } from './provision-database';
import { findRepoRoot } from './repo-root';
import { STOP_GRACE_MS, checkPortsFree, runMigration } from './service-process';
import { SupervisedService } from './supervised-service';

const READY_TIMEOUT_MS = 60_000;

type StopReason = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'failed' };

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const warn = (line: string): void => void process.stderr.write(`${line}\n`);

class Platform {
  /** Aborted once stopping: startup steps give up and nothing is restarted any more. */
  private readonly abort = new AbortController();
  private reason: StopReason | undefined;
  private onReason: (reason: StopReason) => void = () => undefined;
  private readonly stopRequested = new Promise<StopReason>((resolve) => (this.onReason = resolve));
  private readonly startedAt = new Date();
  private state: OrchestratorState = 'starting';
  private plan: PlatformPlan | undefined;
  private infra: Infrastructure | undefined;
  private smtpSink: SmtpSink | undefined;
  private readonly services: SupervisedService[] = [];
  private readonly localDir: string;
  /** localDir as messages name it: relative to the checkout when inside it. */
  private readonly shownLocalDir: string;

  constructor(
    private readonly root: string,
    private readonly env: Env,
  ) {
    this.localDir = platformLocalDir(root, env);
    this.shownLocalDir = shownPath(root, this.localDir);
  }

  requestStop(reason: StopReason): void {
    if (this.reason !== undefined) {
      if (reason.kind === 'signal')
        say(`Already stopping; services get SIGKILL after ${STOP_GRACE_MS / 1000} s.`);
      return;
    }
    this.reason = reason;
    if (reason.kind === 'signal') say(`\n${reason.signal}: stopping the platform...`);
    this.abort.abort();
    this.onReason(reason);
  }

  restartBroker(): void {
    if (this.reason !== undefined || this.infra === undefined) {
      warn('SIGUSR2: the platform is not running (yet); no broker restart');
      return;
    }
    void this.infra.restartBroker();
  }

  async run(): Promise<number> {
    let code: number;
    try {
      await this.start();
      this.setState('running');
      code = (await this.stopRequested).kind === 'signal' ? 0 : 1;
    } catch (err) {
      // A failure caused by a stop request was already explained by whoever requested it.
      if (this.reason === undefined) {
        warn(`\nplatform: ${err instanceof Error ? err.message : String(err)}`);
      }
      code = this.reason?.kind === 'signal' ? 0 : 1;
    }
    this.abort.abort();
    this.setState('stopping');
    await this.shutdown();
    this.setState(code === 0 ? 'stopped' : 'failed');
    say(code === 0 ? 'Platform stopped.' : 'Platform stopped after a failure.');
    return code;
  }

  /**
   * The gateway first, so no new request comes in; then the data services together (on
   * SIGTERM they finish their batch and publish their outbox, within the grace period); then
   * the infrastructure they were using.
   */
  private async shutdown(): Promise<void> {
    const gateway = this.services.filter((s) => s.name === 'gateway');
    const data = this.services.filter((s) => s.name !== 'gateway');
    if (gateway.length > 0) say('stopping   gateway');
    await Promise.all(gateway.map((s) => s.stop()));
    if (data.length > 0) say(`stopping   ${data.map((s) => s.name).join(', ')}`);
    await Promise.all(data.map((s) => s.stop()));
    if (this.infra !== undefined) say('stopping   infrastructure');
    await this.infra?.stop();
    await this.smtpSink?.stop();
  }

  /**
   * Email goes to SMTP_URL when set; otherwise to a local sink that keeps every message as a
   * file in .local/mail/ (SMTP_SINK_PORT, default 2525). SMS are appended to .local/sms/.
   */
  private async startMail(): Promise<{ smtpUrl: string; smsLogFile: string }> {
    const smsLogFile = join(this.localDir, 'sms', 'messages.jsonl');
    if (this.env.SMTP_URL) return { smtpUrl: this.env.SMTP_URL, smsLogFile };
    const sink = new SmtpSink(join(this.localDir, 'mail'));
    const port = await sink.start(parsePort('SMTP_SINK_PORT', this.env.SMTP_SINK_PORT, 2525));
    this.smtpSink = sink;
    say(
      `mail       local SMTP sink at smtp://127.0.0.1:${port}, messages in ${this.shownLocalDir}/mail/`,
    );
    return { smtpUrl: sink.url, smsLogFile };
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
    this.plan = plan;
    const mains = SERVICES.map((s) => this.script(s, 'main.js'));
    const migrations = DATA_SERVICES.map((s) => this.script(s, 'db/migrate.js'));
    await checkPortsFree([
      ...SERVICES.map((s) => ({ what: `${s} (${portVariable(s)})`, port: plan.ports[s] })),
      ...(plan.fakeStripe
        ? [{ what: 'fake Stripe (FAKE_STRIPE_PORT)', port: plan.fakeStripePort }]
        : []),
      ...(plan.embeddedKafka && plan.kafkaMockPort !== undefined
        ? [{ what: 'Kafka mock (KAFKA_MOCK_PORT)', port: plan.kafkaMockPort }]
        : []),
    ]);
    const secrets = loadSecrets(join(this.localDir, 'secrets.json'), plan.secretNames, this.env);
    mkdirSync(join(this.localDir, 'logs'), { recursive: true });

    const infra = new Infrastructure(plan, this.env, this.root, this.localDir, {
      report: warn,
      onChange: () => this.publish(),
    });
    this.infra = infra;
    await infra.start(secrets.POSTGRES_ADMIN_PASSWORD);
    this.checkAborted();
    infra.supervise(this.abort.signal);
    for (const line of infra.describe()) say(line);

    const [databaseUrls, topicsCreated] = await Promise.all([
      provisionDatabase(
        infra.adminUrl,
        [...DATA_SERVICES],
        (s, kind) => secrets[passwordVariable(s, kind)],
      ),
      infra.provisionTopics(),
    ]);
    if (!plan.embeddedKafka) say(`kafka      ${topicsCreated} missing topics created`);
    this.checkAborted();
    const settings = platformSettings(plan, this.env, secrets, {
      databaseUrls: Object.fromEntries(DATA_SERVICES.map((s) => [s, databaseUrls[s].runtime])),
      kafkaBrokers: infra.brokers,
      fakeStripeUrl: infra.fakeStripeUrl,
      mail: await this.startMail(),
    });

    // Sequential: one failure at a time, with its output, is easier to read than four.
    for (const [i, service] of DATA_SERVICES.entries()) {
      say(`migrating  ${service}`);
      await runMigration(
        service,
        migrations[i],
        // Migrations run as the schema's owner; the service itself as its runtime role.
        { ...settings.envOf(service), DATABASE_URL: databaseUrls[service].owner },
        this.root,
        this.abort.signal,
      );
      this.checkAborted();
    }

    SERVICES.forEach((name, i) => {
      const logFile = join(this.localDir, 'logs', `${name}.log`);
      this.services.push(
        new SupervisedService({
          name,
          script: mains[i],
          preload: join(__dirname, 'exit-with-parent.js'),
          env: settings.envOf(name),
          cwd: this.root,
          port: plan.ports[name],
          url: serviceUrl(plan.ports[name]),
          logFile,
          logLabel: relative(this.root, logFile),
          report: warn,
          onChange: () => this.publish(),
        }),
      );
    });
    this.publish();
    say(`Waiting up to ${READY_TIMEOUT_MS / 1000} s for the services to be ready...`);
    const ready = await Promise.all(
      this.services.map((s) => s.waitReady(READY_TIMEOUT_MS, this.abort.signal)),
    );
    this.checkAborted();
    this.services.forEach((s, i) =>
      say(formatStatusLine(s.name, s.url, ready[i] ? 'ready' : 'FAILED')),
    );
    // A service that never got ready once is broken, not crashed: restarting it would hide why.
    const failed = this.services.filter((_, i) => !ready[i]);
    if (failed.length > 0) {
      for (const s of failed) this.printTail(s);
      const names = failed.map((s) => s.name).join(', ');
      throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${names}`);
    }
    for (const s of this.services) void s.supervise(this.abort.signal);
    const gateway = serviceUrl(plan.ports.gateway);
    for (const line of formatReadySummary(gateway, this.env, this.shownLocalDir)) say(line);
  }

  private printTail(service: SupervisedService): void {
    warn(`--- last lines of ${service.status().log} ---`);
    for (const line of service.tail()) warn(`  ${line}`);
  }

  private setState(state: OrchestratorState): void {
    this.state = state;
    this.publish();
  }

  private publish(): void {
    const { plan, infra } = this;
    if (plan === undefined || infra === undefined) return;
    try {
      writeStatusFile(join(this.localDir, 'run', 'platform.json'), {
        schemaVersion: 1,
        updatedAt: new Date().toISOString(),
        orchestrator: {
          pid: process.pid,
          state: this.state,
          startedAt: this.startedAt.toISOString(),
        },
        gatewayUrl: serviceUrl(plan.ports.gateway),
        fakeStripeUrl: infra.fakeStripeUrl ?? null,
        kafkaBrokers: infra.brokers,
        signals: { ...STATUS_SIGNALS },
        services: this.services.map((s) => s.status()),
        infrastructure: infra.status(),
      });
    } catch (err) {
      warn(`cannot write ${join(this.localDir, 'run', 'platform.json')}: ${String(err)}`);
    }
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
  process.on('SIGUSR2', () => platform.restartBroker());
  // Launchers and their pipes are unref'd; without a handle of its own the event loop could run
  // dry halfway through a shutdown and Node would exit silently, leaving children behind.
  const keepAlive = setInterval(() => undefined, 60_000);
  return platform.run().finally(() => clearInterval(keepAlive));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    warn(`platform: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
