// The restart loop shared by services and embedded infrastructure: wait for the process to
// die, say so in one line, wait out the backoff, start it again; until the platform stops.
import { ExitInfo, describeExit, sleep } from './process-control';
import { RestartBackoff } from './restart-backoff';

export interface SupervisedTarget {
  /** What the reports call it, e.g. 'payouts' or 'Kafka mock'. */
  readonly name: string;
  /** The current process. */
  pid(): number;
  /** Resolves when the current process exits. */
  exited(): Promise<ExitInfo>;
  /** Starts a new process in place of the dead one; rejects when it cannot. */
  restart(): Promise<void>;
}

export interface SuperviseOptions {
  backoff: RestartBackoff;
  /** Aborted when the platform stops: no more restarts from then on. */
  signal: AbortSignal;
  report: (line: string) => void;
  /** State changes, for the status file. */
  onCrash?: (exit: ExitInfo, restartInMs: number) => void;
  onRestarted?: () => void;
  /** Added to the crash line, e.g. 'log: .local/logs/payouts.log'. */
  detail?: string;
  now?: () => number;
}

export async function supervise(target: SupervisedTarget, opts: SuperviseOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const stopped = new Promise<'stopped'>((resolve) => {
    if (opts.signal.aborted) resolve('stopped');
    opts.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  let startedAt = now();
  for (;;) {
    const pid = target.pid();
    const exit = await Promise.race([target.exited(), stopped]);
    if (exit === 'stopped' || opts.signal.aborted) return;
    let delay = opts.backoff.next(now() - startedAt);
    opts.onCrash?.(exit, delay);
    const detail = opts.detail === undefined ? '' : ` (${opts.detail})`;
    opts.report(
      `${target.name} (pid ${pid}) exited unexpectedly with ${describeExit(exit)}; ` +
        `restarting in ${seconds(delay)}${detail}`,
    );
    for (;;) {
      await sleep(delay, opts.signal);
      if (opts.signal.aborted) return;
      try {
        await target.restart();
        break;
      } catch (err) {
        delay = opts.backoff.next(0);
        opts.onCrash?.(exit, delay);
        opts.report(
          `${target.name} could not be restarted; next attempt in ${seconds(delay)}:\n` +
            indent(err instanceof Error ? err.message : String(err)),
        );
      }
    }
    startedAt = now();
    opts.onRestarted?.();
    opts.report(`${target.name} restarted (pid ${target.pid()})`);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
