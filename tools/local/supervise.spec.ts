import { ExitInfo } from './process-control';
import { RestartBackoff } from './restart-backoff';
import { SupervisedTarget, supervise } from './supervise';

/** A process stand-in: `crash()` ends the current one; restarts can be made to fail. */
class FakeProcess implements SupervisedTarget {
  readonly name = 'payouts';
  private currentPid = 100;
  private resolveExit: (exit: ExitInfo) => void = () => undefined;
  private exit = this.nextExit();
  failRestarts = 0;
  restarts = 0;

  pid(): number {
    return this.currentPid;
  }

  exited(): Promise<ExitInfo> {
    return this.exit;
  }

  restart(): Promise<void> {
    if (this.failRestarts > 0) {
      this.failRestarts -= 1;
      return Promise.reject(new Error('port 3004 in use\nsecond line'));
    }
    this.restarts += 1;
    this.currentPid += 1;
    this.exit = this.nextExit();
    return Promise.resolve();
  }

  crash(exit: ExitInfo): void {
    this.resolveExit(exit);
  }

  private nextExit(): Promise<ExitInfo> {
    return new Promise((resolve) => (this.resolveExit = resolve));
  }
}

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
};

describe(supervise.name, () => {
  const backoff = (): RestartBackoff =>
    new RestartBackoff({ firstMs: 5, maxMs: 20, stableAfterMs: 60_000 });

  it('restarts a crashed process and reports the crash in one line', async () => {
    const target = new FakeProcess();
    const abort = new AbortController();
    const lines: string[] = [];
    const loop = supervise(target, {
      backoff: backoff(),
      signal: abort.signal,
      report: (line) => lines.push(line),
      detail: 'log: .local/logs/payouts.log',
    });

    target.crash({ code: null, signal: 'SIGKILL' });
    await until(() => target.restarts === 1);
    abort.abort();
    await loop;

    expect(lines).toEqual([
      'payouts (pid 100) exited unexpectedly with signal SIGKILL; restarting in 0 s ' +
        '(log: .local/logs/payouts.log)',
      'payouts restarted (pid 101)',
    ]);
  });

  it('waits longer after each quick crash', async () => {
    const target = new FakeProcess();
    const abort = new AbortController();
    const delays: number[] = [];
    const loop = supervise(target, {
      backoff: backoff(),
      signal: abort.signal,
      report: () => undefined,
      onCrash: (_exit, delay) => delays.push(delay),
    });

    for (let i = 1; i <= 3; i += 1) {
      target.crash({ code: 1, signal: null });
      await until(() => target.restarts === i);
    }
    abort.abort();
    await loop;

    expect(delays).toEqual([5, 10, 20]);
  });

  it('keeps trying, and says why, when a restart fails', async () => {
    const target = new FakeProcess();
    target.failRestarts = 1;
    const abort = new AbortController();
    const lines: string[] = [];
    const loop = supervise(target, {
      backoff: backoff(),
      signal: abort.signal,
      report: (line) => lines.push(line),
    });

    target.crash({ code: 1, signal: null });
    await until(() => target.restarts === 1);
    abort.abort();
    await loop;

    expect(lines[1]).toBe(
      'payouts could not be restarted; next attempt in 0 s:\n  port 3004 in use\n  second line',
    );
    expect(lines[2]).toBe('payouts restarted (pid 101)');
  });

  it('neither reports nor restarts a process that exits once the platform stops', async () => {
    const target = new FakeProcess();
    const abort = new AbortController();
    const lines: string[] = [];
    const loop = supervise(target, {
      backoff: backoff(),
      signal: abort.signal,
      report: (line) => lines.push(line),
    });

    abort.abort();
    target.crash({ code: 0, signal: null });
    await loop;

    expect(lines).toEqual([]);
    expect(target.restarts).toBe(0);
  });
});
