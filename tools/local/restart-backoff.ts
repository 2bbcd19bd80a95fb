// How long a supervisor waits before restarting a process that died: doubling from a first
// delay up to a ceiling, and back to the first delay once the process had stayed up long
// enough to count as healthy again (so one crash a day never waits 30 s).

export interface BackoffSettings {
  firstMs: number;
  maxMs: number;
  /** Uptime after which the next crash starts the sequence over. */
  stableAfterMs: number;
}

const DEFAULT_BACKOFF: BackoffSettings = {
  firstMs: 1_000,
  maxMs: 30_000,
  stableAfterMs: 60_000,
};

export class RestartBackoff {
  private failures = 0;

  constructor(private readonly settings: BackoffSettings = DEFAULT_BACKOFF) {}

  /** The delay before the next start, given how long the process that just died had run. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.settings.stableAfterMs) this.failures = 0;
    const delay = Math.min(this.settings.firstMs * 2 ** this.failures, this.settings.maxMs);
    this.failures += 1;
    return delay;
  }
}
