// Child processes of the embedded platform: migration commands (run to completion) and services
// (long-running, output to a log file, error lines echoed, stopped gracefully then killed).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { createServer } from 'node:net';
import { errorLineText } from './platform-env';
import { ExitInfo } from './process-control';

/** Long enough for a data service to publish its outbox and finish its batch on SIGTERM. */
export const STOP_GRACE_MS = 15_000;
const TAIL_LINES = 25;
const MIGRATION_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 250;
// Above the services' own 2 s per-check timeout, so a slow check reports rather than aborts.
const READY_REQUEST_TIMEOUT_MS = 3_000;

export interface ServiceProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves once the process has exited and its output is flushed to the log. */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last lines it wrote, stdout and stderr interleaved. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after the grace period (15 s); resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnServiceOptions {
  name: string;
  script: string;
  /** Loaded with `--require` before the service, e.g. the exit-with-parent guard. */
  preload?: string;
  env: Record<string, string>;
  cwd: string;
  /** Appended to, after a separator line naming this start (e.g. 'start', 'restart 2'). */
  logFile: string;
  startNote: string;
  onErrorLine: (text: string) => void;
}

/** The line that separates one run of a service from the next in its appended log. */
function logSeparator(name: string, note: string, pid: number, at: Date): string {
  return `\n===== ${at.toISOString()} ${name} ${note} (pid ${pid}) =====\n`;
}

/**
 * Tracing's preload (dist/libs/service-kit/src/tracing/preload.js beside the service's dist/):
 * it starts OpenTelemetry before the service's modules load, and does nothing unless
 * OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
function tracingPreload(script: string): string[] {
  const marker = `${sep}dist${sep}`;
  const at = script.lastIndexOf(marker);
  if (at < 0) return [];
  const preload = join(
    script.slice(0, at + marker.length),
    'libs/service-kit/src/tracing/preload.js',
  );
  return existsSync(preload) ? ['--require', preload] : [];
}

export function spawnService(opts: SpawnServiceOptions): ServiceProcess {
  const args = [
    ...tracingPreload(opts.script),
    ...(opts.preload === undefined ? [] : ['--require', opts.preload]),
    opts.script,
  ];
  // Own process group, so a Ctrl-C reaches only the platform, which then stops services before
  // the infrastructure they use; the preload guard covers the platform dying without a signal.
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Appended, so the lines before a crash are still there after the restart.
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  log.write(logSeparator(opts.name, opts.startNote, child.pid ?? -1, new Date()));
  const lines: string[] = [];
  const follow = (stream: NodeJS.ReadableStream, kind: 'stdout' | 'stderr'): void => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      log.write(chunk);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        const text = errorLineText(line, kind);
        if (text !== undefined) opts.onErrorLine(text);
      }
    });
  };
  follow(child.stdout, 'stdout');
  follow(child.stderr, 'stderr');

  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    // 'close' rather than 'exit': all output has been read by then.
    child.once('close', (code, signal) => {
      done = true;
      log.end(() => resolve({ code, signal }));
    });
    child.once('error', (err) => {
      lines.push(`spawn failed: ${err.message}`);
      if (child.pid === undefined) {
        done = true;
        log.end(() => resolve({ code: null, signal: null }));
      }
    });
  });

  const stop = async (graceMs = STOP_GRACE_MS): Promise<void> => {
    if (done) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') child.kill('SIGKILL');
    await exited;
  };

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logFile: opts.logFile,
    exited,
    hasExited: () => done,
    tail: () => [...lines],
    stop,
  };
}

/** Runs a migration command to completion; rejects with its whole output when it fails. */
export function runMigration(
  name: string,
  script: string,
  env: Record<string, string>,
  cwd: string,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      timeout: MIGRATION_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => {
      // An abort is reported by the caller; anything else (spawn failure) is ours to say.
      if (!signal.aborted) output += `\n${err.message}`;
    });
    child.once('close', (code, killedBy) => {
      if (code === 0) return resolve();
      const how = killedBy === null ? `exit code ${code}` : `signal ${killedBy}`;
      reject(new Error(`${name} migrations failed (${how}):\n${output.trim()}`));
    });
  });
}

/**
 * Polls `${url}/health/ready` until it answers 200. False on timeout, when `gaveUp()` turns true
 * (the process died), or when the signal aborts.
 */
export async function waitUntilReady(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
  gaveUp: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted && !gaveUp()) {
    try {
      const response = await fetch(`${url}/health/ready`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(READY_REQUEST_TIMEOUT_MS)]),
      });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet, or a check timed out: try again
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return false;
}

/** True when nothing listens on 127.0.0.1:port, checked by briefly binding it. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
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
