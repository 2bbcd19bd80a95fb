// Starts one infrastructure launcher (postgres.mjs, kafka-mock.mjs, fake-stripe.js) as a child
// process and waits for its JSON ready line. Each launcher runs in its own process group, which
// also holds whatever it starts (the postmaster and its backends), so that nothing outlives it.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ExitInfo, killGroup, sleep } from './process-control';

const STDERR_TAIL_CHARS = 8_000;
const STOP_GRACE_MS = 15_000;

export interface Launched {
  ready: Record<string, unknown>;
  /** The launcher's pid, which is also its process group id. */
  pid: number;
  /** Resolves when the launcher exits, asked to or not. */
  exited: Promise<ExitInfo>;
  /** The end of what it wrote to stderr, for a report on why it died. */
  stderrTail(): string;
  /** SIGTERM, SIGKILL to the whole group after 15 s; also clears a group whose leader is gone. */
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

export function launch(
  file: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Launched> {
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
  // 'exit', not 'close': a child of the launcher may hold its pipes open after it died.
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // A report of why it died waits for the end of its stderr, but not for long.
  const closed = new Promise((resolve) => child.once('close', resolve));
  const drained = (): Promise<unknown> => Promise.race([closed, sleep(1_000)]);

  return new Promise<Launched>((resolve, reject) => {
    let stdout = '';
    // Set once the outcome is known, so a late exit or timeout does not report a second time.
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      void exited.then(drained).then(() => {
        const details = stderrTail.trim();
        reject(new Error(`${file}: ${reason}${details ? `\n--- stderr ---\n${details}` : ''}`));
      });
      void stopChild(child, exited);
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`spawn failed: ${err.message}`));
    const onEarlyExit = ({ code, signal }: ExitInfo): void =>
      fail(`exited before ready (code ${code}, signal ${signal})`);
    void exited.then(onEarlyExit);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      const ready = parseReadyLine(stdout.slice(0, newline));
      if (ready === undefined) {
        fail(`unexpected output: ${stdout.slice(0, newline)}`);
        return;
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      // Let a caller that forgot stop() exit anyway; the launcher then sees stdin close.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket).unref();
      resolve({
        ready,
        pid: child.pid ?? -1,
        exited,
        stderrTail: () => stderrTail,
        stop: () => stopChild(child, exited),
      });
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

export function readString(ready: Record<string, unknown>, key: string): string {
  const value = ready[key];
  if (typeof value !== 'string') throw new Error(`ready line has no string '${key}'`);
  return value;
}

export function readNumber(ready: Record<string, unknown>, key: string): number {
  const value = ready[key];
  if (typeof value !== 'number') throw new Error(`ready line has no number '${key}'`);
  return value;
}

async function stopChild(child: ChildProcess, exited: Promise<ExitInfo>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.ref();
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
    });
    await Promise.race([exited, timedOut]);
    clearTimeout(timer);
  }
  // Whatever is left of the group (a hung launcher, an initdb it was waiting on, or the
  // backends of a postmaster that died) goes too.
  killGroup(pid);
  await exited;
}
