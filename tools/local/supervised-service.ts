// One service of the embedded platform under supervision: started, watched until ready,
// restarted with backoff when it dies on its own, and stopped gracefully on the way out.
import { ExitInfo } from './process-control';
import { LastExit, ServiceState, ServiceStatus, lastExit } from './platform-status';
import { RestartBackoff } from './restart-backoff';
import { ServiceProcess, spawnService, waitUntilReady } from './service-process';
import { supervise } from './supervise';

export interface SupervisedServiceOptions {
  name: string;
  script: string;
  /** Loaded with `--require` before the service, e.g. the exit-with-parent guard. */
  preload?: string;
  env: Record<string, string>;
  cwd: string;
  port: number;
  url: string;
  logFile: string;
  /** The log's path as shown to the user. */
  logLabel: string;
  report: (line: string) => void;
  /** Called on every state change, e.g. to rewrite the status file. */
  onChange: () => void;
}

export class SupervisedService {
  private proc: ServiceProcess;
  private state: ServiceState = 'starting';
  private restarts = 0;
  private lastExit: LastExit | null = null;

  constructor(private readonly opts: SupervisedServiceOptions) {
    this.proc = this.spawn('start');
  }

  get name(): string {
    return this.opts.name;
  }

  get url(): string {
    return this.opts.url;
  }

  /** Polls until ready; false when it exits first, the time is up or the signal aborts. */
  async waitReady(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const proc = this.proc;
    const ready = await waitUntilReady(this.opts.url, timeoutMs, signal, proc.hasExited);
    if (ready && proc === this.proc && this.state === 'starting') this.setState('ready');
    return ready;
  }

  /** From now until `signal` aborts, a death of the service is followed by a restart. */
  supervise(signal: AbortSignal, backoff = new RestartBackoff()): Promise<void> {
    return supervise(
      {
        name: this.opts.name,
        pid: () => this.proc.pid,
        exited: () => this.proc.exited,
        restart: () => {
          this.restarts += 1;
          this.proc = this.spawn(`restart ${this.restarts}`);
          return Promise.resolve();
        },
      },
      {
        backoff,
        signal,
        report: this.opts.report,
        detail: `log: ${this.opts.logLabel}`,
        onCrash: (exit: ExitInfo) => {
          this.lastExit = lastExit(exit, new Date());
          this.setState('restarting');
        },
        onRestarted: () => {
          this.setState('starting');
          // No deadline: a service that never gets ready again stays 'starting' for all to see.
          void this.waitReady(Number.MAX_SAFE_INTEGER, signal);
        },
      },
    );
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs?: number): Promise<void> {
    this.setState('stopping');
    await this.proc.stop(graceMs);
    this.setState('stopped');
  }

  hasExited(): boolean {
    return this.proc.hasExited();
  }

  tail(): string[] {
    return this.proc.tail();
  }

  status(): ServiceStatus {
    return {
      name: this.opts.name,
      pid: this.proc.hasExited() ? null : this.proc.pid,
      port: this.opts.port,
      url: this.opts.url,
      state: this.state,
      restarts: this.restarts,
      lastExit: this.lastExit,
      log: this.opts.logLabel,
    };
  }

  private spawn(note: string): ServiceProcess {
    const { name, script, preload, env, cwd, logFile } = this.opts;
    const proc = spawnService({
      name,
      script,
      preload,
      env,
      cwd,
      logFile,
      startNote: note,
      onErrorLine: (text) => this.opts.report(`[${name}] ${text}`),
    });
    // An exit changes what the status file shows (pid null) before any restart decision.
    void proc.exited.then(() => this.opts.onChange());
    return proc;
  }

  private setState(state: ServiceState): void {
    this.state = state;
    this.opts.onChange();
  }
}
