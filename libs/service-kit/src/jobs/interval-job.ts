/** Runs a tick while another replica may be running the same job; see SchemaTickLock. */
export interface TickLock {
  /** Runs `work` when the lock is free (true), or does nothing when another holder has it (false). */
  runExclusive(work: () => Promise<void>): Promise<boolean>;
}

export interface JobLogger {
  log(message: Record<string, unknown>): void;
  error(message: Record<string, unknown>): void;
}

export interface IntervalJobOptions<T> {
  /** Names the job in every log line (e.g. `wallet:credit-expiry`). */
  name: string;
  intervalMs: number;
  /**
   * Each wait is the interval plus or minus up to this fraction of it, at random (default 0.1),
   * so replicas started together do not tick in lockstep.
   */
  jitter?: number;
  /** One tick. Its errors are logged with the job's name; the next tick runs as usual. */
  run: () => Promise<T>;
  /** What to log after a tick that did something; undefined for a tick worth no line. */
  report?: (result: T) => Record<string, unknown> | undefined;
  /** Taken around each scheduled tick, so one replica at a time runs it. */
  lock?: TickLock;
}

/**
 * One recurring job: a tick every interval (jittered), never two at once, its errors logged and
 * survived, and a stop that waits for the tick under way. Ticks are chained timeouts, so a slow
 * tick delays the next one instead of piling up behind it.
 */
export class IntervalJob<T = unknown> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private started = false;
  private stopped = false;
  private readonly jitter: number;

  constructor(
    private readonly options: IntervalJobOptions<T>,
    private readonly logger: JobLogger,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new Error(`job ${options.name}: intervalMs must be a positive number`);
    }
    this.jitter = options.jitter ?? 0.1;
    if (!(this.jitter >= 0 && this.jitter < 1)) {
      throw new Error(`job ${options.name}: jitter must be at least 0 and below 1`);
    }
  }

  get name(): string {
    return this.options.name;
  }

  /** Schedules the first tick one (jittered) interval from now; a second call does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule();
  }

  /** No tick starts after this; resolves once the tick under way (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Runs a tick now unless one is under way (then shares it) or the job is stopped; resolves when
   * it ends. Never rejects: a failed tick is logged.
   */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.runTick().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The wait before the next tick: the interval, moved by up to ±jitter of it. */
  nextDelayMs(): number {
    const spread = this.options.intervalMs * this.jitter;
    return Math.max(0, Math.round(this.options.intervalMs - spread + 2 * spread * this.random()));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().then(() => this.schedule());
    }, this.nextDelayMs());
    // A pending tick never keeps a process alive on its own.
    this.timer.unref();
  }

  private async runTick(): Promise<void> {
    const { name, run, report, lock } = this.options;
    try {
      let result: T | undefined;
      let ran = true;
      if (lock) {
        ran = await lock.runExclusive(async () => {
          result = await run();
        });
      } else {
        result = await run();
      }
      const line = ran ? report?.(result as T) : undefined;
      if (line) this.logger.log({ message: `${name} tick`, job: name, ...line });
    } catch (err) {
      // Typically the database is away: the next tick tries again.
      this.logger.error({ message: `${name} tick failed`, job: name, err: String(err) });
    }
  }
}
