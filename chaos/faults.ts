// Carries out a seed's faults against a running platform: kill -9 of a data service (the
// supervisor restarts it), a broker restart (SIGUSR2 to the orchestrator), and Postgres frozen
// with SIGSTOP (postmaster and every backend) then resumed with SIGCONT.
import { Client } from 'pg';
import { descendants, RunningPlatform } from './platform-control';
import { CompletionKill, DataService, LockTarget, TimedFault } from './schedule';

export interface FaultEvent {
  atMs: number;
  what: string;
  done: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A kill aimed at a service that is restarting waits this long for it to be back. */
const KILL_WAIT_FOR_READY_MS = 8_000;

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export class FaultInjector {
  readonly events: FaultEvent[] = [];
  private readonly frozen = new Set<number>();
  private readonly pending = new Set<Promise<void>>();
  private completionKills: CompletionKill[] = [];

  constructor(
    private readonly platform: RunningPlatform,
    private readonly adminUrl: string,
    private readonly startedAt: number,
    private readonly say: (line: string) => void,
  ) {}

  /** Fires the timed faults on schedule and arms the completion kills. */
  start(timed: TimedFault[], completionKills: CompletionKill[]): void {
    this.completionKills = completionKills;
    for (const fault of timed) {
      this.track(
        (async () => {
          await sleep(fault.atMs - (Date.now() - this.startedAt));
          await this.fire(fault);
        })(),
      );
    }
  }

  /** Called when a flow's lesson was completed. */
  lessonCompleted(flow: number): void {
    for (const kill of this.completionKills.filter((k) => k.flow === flow)) {
      this.track(
        (async () => {
          await sleep(kill.delayMs);
          await this.kill(kill.service, `flow ${flow} completed + ${kill.delayMs} ms`);
        })(),
      );
    }
  }

  /** Resolves when every fault fired so far is over (Postgres resumed included). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Synchronous, for process exit: never leave Postgres stopped behind us. */
  thawNow(): void {
    for (const pid of this.frozen) signal(pid, 'SIGCONT');
    this.frozen.clear();
  }

  private track(work: Promise<void>): void {
    const settled = work.catch((err: unknown) =>
      this.record(`fault failed: ${String(err)}`, false),
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  private record(what: string, done: boolean): void {
    const atMs = Date.now() - this.startedAt;
    this.events.push({ atMs, what, done });
    this.say(`  [t+${(atMs / 1000).toFixed(1).padStart(5)}s] ${done ? '' : 'SKIPPED '}${what}`);
  }

  private async fire(fault: TimedFault): Promise<void> {
    switch (fault.kind) {
      case 'kill':
        return this.kill(fault.service, 'scheduled');
      case 'broker-restart':
        this.restartBroker();
        return;
      case 'postgres-freeze':
        return this.freezePostgres(fault.durationMs);
      case 'lock-hold':
        return this.holdLock(fault.target, fault.durationMs);
    }
  }

  private async kill(service: DataService, why: string): Promise<void> {
    if (!this.platform.supervised) {
      this.record(`kill -9 ${service} (${why}): this platform does not supervise services`, false);
      return;
    }
    const until = Date.now() + KILL_WAIT_FOR_READY_MS;
    let pid = this.platform.servicePid(service);
    while (pid === undefined && Date.now() < until) {
      await sleep(250);
      pid = this.platform.servicePid(service);
    }
    if (pid === undefined) {
      this.record(`kill -9 ${service} (${why}): not running (still restarting)`, false);
      return;
    }
    const ok = signal(pid, 'SIGKILL');
    this.record(`kill -9 ${service} pid ${pid} (${why})`, ok);
  }

  private restartBroker(): void {
    if (!this.platform.canRestartBroker) {
      this.record('broker restart: this platform has no SIGUSR2 broker restart', false);
      return;
    }
    this.platform.restartBroker();
    this.record(`broker restart: SIGUSR2 to orchestrator pid ${this.platform.pid}`, true);
  }

  private async freezePostgres(durationMs: number): Promise<void> {
    const postmaster = this.platform.postmasterPid();
    if (postmaster === undefined) {
      this.record('SIGSTOP Postgres: postmaster pid unknown', false);
      return;
    }
    // The postmaster first, so it forks no new backend while its children are being stopped.
    if (!signal(postmaster, 'SIGSTOP')) {
      this.record(`SIGSTOP Postgres: postmaster ${postmaster} is gone`, false);
      return;
    }
    this.frozen.add(postmaster);
    for (let round = 0; round < 2; round++) {
      for (const pid of descendants(postmaster)) {
        if (!this.frozen.has(pid) && signal(pid, 'SIGSTOP')) this.frozen.add(pid);
      }
    }
    this.record(
      `SIGSTOP Postgres: postmaster ${postmaster} and ${this.frozen.size - 1} backends/workers ` +
        `for ${(durationMs / 1000).toFixed(1)}s`,
      true,
    );
    await sleep(durationMs);
    const children = [...new Set([...descendants(postmaster), ...this.frozen])].filter(
      (pid) => pid !== postmaster,
    );
    for (const pid of children) signal(pid, 'SIGCONT');
    signal(postmaster, 'SIGCONT');
    this.record(`SIGCONT Postgres: ${children.length + 1} processes resumed`, true);
    this.frozen.clear();
  }

  /**
   * A long transaction holding locks the services need, as an admin's open transaction or a
   * migration would: their statements wait, then fail with lock_timeout (55P03), an
   * infrastructure failure the consumers must retry, never dead-letter.
   */
  private async holdLock(target: LockTarget, durationMs: number): Promise<void> {
    const client = new Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      switch (target) {
        case 'referrals-founding-counter':
          await client.query(
            `SELECT value FROM referrals.program_counters
              WHERE name = 'founding_instructor_bonuses' FOR UPDATE`,
          );
          break;
        case 'payouts-table':
          await client.query('LOCK TABLE payouts.payouts IN EXCLUSIVE MODE');
          break;
      }
      this.record(`lock held on ${target} for ${(durationMs / 1000).toFixed(1)}s`, true);
      await sleep(durationMs);
      await client.query('COMMIT');
      this.record(`lock on ${target} released`, true);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
