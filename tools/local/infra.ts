import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';

export interface StartPostgresOptions {
  /** Data directory; default a fresh temp dir. */
  dataDir?: string;
  /** Keep the data directory after stop(). */
  persist?: boolean;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  adminPassword?: string;
  readyTimeoutMs?: number;
}

export interface StartKafkaMockOptions {
  topics: string[];
  partitions: number;
  brokerCount?: number;
  readyTimeoutMs?: number;
}

export interface StartFakeStripeOptions {
  /** Default 12111; 0 picks a free port. */
  port?: number;
  readyTimeoutMs?: number;
}

export interface RunningFakeStripe {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface RunningPostgres {
  adminUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export interface RunningKafkaMock {
  brokers: string;
  pid: number;
  stop(): Promise<void>;
}

const STDERR_TAIL_CHARS = 8_000;
const STOP_GRACE_MS = 10_000;

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const env: Record<string, string> = {};
  if (opts.dataDir !== undefined) env.PG_DATA_DIR = opts.dataDir;
  if (opts.persist) env.PG_PERSIST = 'true';
  if (opts.port !== undefined) env.PG_PORT = String(opts.port);
  if (opts.adminPassword !== undefined) env.PG_ADMIN_PASSWORD = opts.adminPassword;
  const launched = await launch('postgres.mjs', env, opts.readyTimeoutMs ?? 60_000);
  return {
    adminUrl: readString(launched.ready, 'adminUrl'),
    pid: launched.pid,
    stop: launched.stop,
  };
}

export async function startKafkaMock(opts: StartKafkaMockOptions): Promise<RunningKafkaMock> {
  const env: Record<string, string> = {
    KAFKA_TOPICS: opts.topics.join(','),
    KAFKA_TOPIC_PARTITIONS: String(opts.partitions),
    KAFKA_MOCK_BROKERS: String(opts.brokerCount ?? 1),
  };
  const launched = await launch('kafka-mock.mjs', env, opts.readyTimeoutMs ?? 15_000);
  return { brokers: readString(launched.ready, 'brokers'), pid: launched.pid, stop: launched.stop };
}

/** Runs the compiled fake Stripe (dist/tools/local/fake-stripe.js); only works from dist/. */
export async function startFakeStripe(
  opts: StartFakeStripeOptions = {},
): Promise<RunningFakeStripe> {
  const env: Record<string, string> = {};
  if (opts.port !== undefined) env.FAKE_STRIPE_PORT = String(opts.port);
  const launched = await launch('fake-stripe.js', env, opts.readyTimeoutMs ?? 15_000);
  return { url: readString(launched.ready, 'url'), pid: launched.pid, stop: launched.stop };
}

interface Launched {
  ready: Record<string, unknown>;
  pid: number;
  stop(): Promise<void>;
}

// The .mjs launchers are not compiled, so from dist/ walk up until the source tree is found
// (fake-stripe.js, compiled, sits next to this file in dist/).
function launcherPath(file: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, file), join(dir, 'tools', 'local', file)]) {
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`launcher ${file} not found above ${__dirname}`);
  }
}

function launch(file: string, env: Record<string, string>, timeoutMs: number): Promise<Launched> {
  const script = launcherPath(file);
  // Own process group, so a last-resort SIGKILL also reaches the launcher's children (postgres).
  // stdin stays an open pipe: the launcher exits when it closes, i.e. when this process dies.
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  // Keep draining after ready: a full pipe would block the launcher's writes.
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<Launched>((resolve, reject) => {
    let stdout = '';
    const fail = (reason: string): void => {
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      const details = stderrTail.trim();
      reject(new Error(`${file}: ${reason}${details ? `\n--- stderr ---\n${details}` : ''}`));
    };
    const timer = setTimeout(() => {
      fail(`not ready after ${timeoutMs} ms`);
      void stopChild(child, exited);
    }, timeoutMs);
    child.once('error', (err) => fail(`spawn failed: ${err.message}`));
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited before ready (code ${code}, signal ${signal})`);
    // 'close' rather than 'exit': by then all of stderr has been read.
    child.once('close', onEarlyExit);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      const ready = parseReadyLine(stdout.slice(0, newline));
      if (ready === undefined) {
        fail(`unexpected output: ${stdout.slice(0, newline)}`);
        void stopChild(child, exited);
        return;
      }
      clearTimeout(timer);
      child.removeListener('close', onEarlyExit);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      // Let a caller that forgot stop() exit anyway; the launcher then sees stdin close.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket).unref();
      resolve({ ready, pid: child.pid ?? -1, stop: () => stopChild(child, exited) });
    });
  });
}

function parseReadyLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'ready' in parsed &&
      parsed.ready === true
    ) {
      return parsed;
    }
  } catch {
    // not JSON: reported by the caller
  }
  return undefined;
}

function readString(ready: Record<string, unknown>, key: string): string {
  const value = ready[key];
  if (typeof value !== 'string') throw new Error(`ready line has no string '${key}'`);
  return value;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  child.ref();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STOP_GRACE_MS);
  });
  await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  // Whatever is left of the group (a hung launcher, or an initdb it was waiting on) goes too.
  killGroup(pid);
  await exited;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty, the normal case after a clean stop
  }
}
