// Starts the embedded platform (dist/tools/local/platform.js) for one seed and finds its parts:
// from run/platform.json in the seed's own local directory (PLATFORM_LOCAL_DIR), which the
// supervising orchestrator keeps up to date (pids, restarts, addresses), or, from an orchestrator
// without a supervisor, from its startup output.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataService } from './schedule';

/** The fields of .local/run/platform.json (tools/local/platform-status.ts) the harness reads. */
export interface PlatformStatusView {
  updatedAt: string;
  orchestrator: { pid: number; state: string };
  gatewayUrl: string;
  fakeStripeUrl: string | null;
  kafkaBrokers: string;
  signals: Record<string, string>;
  services: Array<{
    name: string;
    pid: number | null;
    state: string;
    restarts: number;
    lastExit: { code: number | null; signal: string | null; at: string } | null;
  }>;
  infrastructure: {
    postgres: {
      pid: number | null;
      postmasterPid: number | null;
      address: string | null;
      dataDir: string | null;
      restarts: number;
    };
    kafka: { pid: number | null; state: string; restarts: number };
    fakeStripe: { pid: number | null; restarts: number };
  };
}

export interface PlatformPorts {
  gateway: number;
  bookings: number;
  referrals: number;
  wallet: number;
  payouts: number;
  fakeStripe: number;
  /** The platform's local SMTP sink (SMTP_SINK_PORT). */
  smtp: number;
}

export function portsFrom(base: number): PlatformPorts {
  return {
    gateway: base,
    bookings: base + 1,
    referrals: base + 2,
    wallet: base + 3,
    payouts: base + 4,
    fakeStripe: base + 11,
    smtp: base + 12,
  };
}

export interface StartOptions {
  root: string;
  /** The platform's data and state (PLATFORM_LOCAL_DIR): its own per seed. */
  localDir: string;
  ports: PlatformPorts;
  /** Where the orchestrator's own output goes. */
  outputFile: string;
  /** Extra environment for the platform and, through it, the services. */
  env: Record<string, string>;
  readyTimeoutMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Every descendant of `pid`, from /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter((c) => c !== '')) {
        const childPid = Number(child);
        if (!found.includes(childPid)) {
          found.push(childPid);
          queue.push(childPid);
        }
      }
    }
  }
  return found;
}

export class RunningPlatform {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    private readonly child: ChildProcess,
    /** PLATFORM_LOCAL_DIR: status, secrets, logs and Postgres data. */
    readonly localDir: string,
    readonly ports: PlatformPorts,
    readonly outputFile: string,
    private readonly startedAt: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }

  /** The status file, if this orchestrator writes one (the supervising platform does). */
  status(): PlatformStatusView | undefined {
    const file = join(this.localDir, 'run', 'platform.json');
    if (!existsSync(file)) return undefined;
    try {
      const status = JSON.parse(readFileSync(file, 'utf8')) as PlatformStatusView;
      if (status.orchestrator?.pid !== this.pid) return undefined;
      if (Date.parse(status.updatedAt) < this.startedAt - 1000) return undefined;
      return status;
    } catch {
      return undefined; // half-written by an older writer: try again later
    }
  }

  /** Whether crashed services come back: the orchestrator supervises them and says so. */
  get supervised(): boolean {
    return this.status() !== undefined;
  }

  get canRestartBroker(): boolean {
    return this.status()?.signals?.SIGUSR2 !== undefined;
  }

  private output(): string {
    try {
      return readFileSync(this.outputFile, 'utf8');
    } catch {
      return '';
    }
  }

  fakeStripeUrl(): string {
    const fromStatus = this.status()?.fakeStripeUrl;
    if (fromStatus) return fromStatus;
    const match = /stripe\s+fake at (http:\/\/\S+)/.exec(this.output());
    return match ? match[1] : `http://127.0.0.1:${this.ports.fakeStripe}`;
  }

  kafkaBrokers(): string {
    const fromStatus = this.status()?.kafkaBrokers;
    if (fromStatus) return fromStatus;
    const match = /kafka\s+mock cluster ([^,\s]+)/.exec(this.output());
    if (!match) throw new Error('cannot tell the Kafka brokers from the platform output');
    return match[1];
  }

  /** The Postgres admin connection: the address the platform reports, the password from secrets. */
  adminUrl(): string {
    let address = this.status()?.infrastructure?.postgres?.address ?? undefined;
    if (!address) {
      const match = /postgres\s+embedded, (\S+?),/.exec(this.output());
      address = match?.[1];
    }
    if (!address) throw new Error('cannot tell the Postgres address from the platform');
    const secrets = JSON.parse(readFileSync(join(this.localDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    const password = secrets.POSTGRES_ADMIN_PASSWORD;
    if (!password) throw new Error(`${this.localDir}/secrets.json has no POSTGRES_ADMIN_PASSWORD`);
    return `postgres://postgres:${encodeURIComponent(password)}@${address}/rewards`;
  }

  postmasterPid(): number | undefined {
    const fromStatus = this.status()?.infrastructure?.postgres?.postmasterPid;
    if (fromStatus) return fromStatus;
    const dataDir =
      this.status()?.infrastructure?.postgres?.dataDir ?? join(this.localDir, 'postgres');
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** A service's pid, checked against its command line so a recycled pid is never killed. */
  servicePid(service: DataService): number | undefined {
    const entry = this.status()?.services.find((s) => s.name === service);
    const pid = entry?.pid ?? undefined;
    if (pid === undefined || entry?.state !== 'ready') return undefined;
    return cmdline(pid).includes(`services/${service}/`) ? pid : undefined;
  }

  restarts(service: DataService): number {
    return this.status()?.services.find((s) => s.name === service)?.restarts ?? 0;
  }

  /** SIGUSR2 to the orchestrator: it restarts the embedded broker, which forgets everything. */
  restartBroker(): void {
    process.kill(this.pid, 'SIGUSR2');
  }

  /** SIGINT (the platform stops everything in order), then SIGKILL to its group if it hangs. */
  async stop(graceMs = 45_000): Promise<void> {
    if (!this.running) return;
    process.kill(this.pid, 'SIGINT');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(graceMs).then(() => true),
    ]);
    if (timedOut) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.exited;
    }
  }

  /** Synchronous last resort for process exit: ask the platform to stop. */
  stopNow(): void {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  }
}

export async function startPlatform(options: StartOptions): Promise<RunningPlatform> {
  const script = join(options.root, 'dist', 'tools', 'local', 'platform.js');
  if (!existsSync(script)) throw new Error(`${script} missing: npm run build`);
  const { ports } = options;
  const out = openSync(options.outputFile, 'w');
  const startedAt = Date.now();
  const child = spawn(process.execPath, [script], {
    cwd: options.root,
    env: {
      ...process.env,
      ...options.env,
      PLATFORM_FRESH: 'true',
      PLATFORM_LOCAL_DIR: options.localDir,
      SMTP_SINK_PORT: String(ports.smtp),
      GATEWAY_PORT: String(ports.gateway),
      BOOKINGS_PORT: String(ports.bookings),
      REFERRALS_PORT: String(ports.referrals),
      WALLET_PORT: String(ports.wallet),
      PAYOUTS_PORT: String(ports.payouts),
      FAKE_STRIPE_PORT: String(ports.fakeStripe),
    },
    // Its own process group: signals to it are ours to send, and a hung one can be killed whole.
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const platform = new RunningPlatform(
    child,
    options.localDir,
    ports,
    options.outputFile,
    startedAt,
  );
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (!platform.running) {
      throw new Error(`the platform exited during startup; see ${options.outputFile}`);
    }
    const status = platform.status();
    if (status?.orchestrator.state === 'running') return platform;
    if (status === undefined && /^Gateway: /m.test(readFileSync(options.outputFile, 'utf8'))) {
      return platform;
    }
    if (Date.now() > deadline) {
      await platform.stop();
      throw new Error(`the platform was not ready after ${options.readyTimeoutMs} ms`);
    }
    await sleep(500);
  }
}
