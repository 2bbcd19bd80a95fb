import { MAX_CAPTURE_BATCH } from '@rewards/contracts';

/** What the batcher tells of a batch that failed: the references wait for booking-confirmed. */
export type CaptureFailureLog = (references: string[], err: unknown) => void;

/**
 * Gathers the references whose holds checkout asks the wallet to capture, and sends them a batch
 * at a time: once `windowMs` passed since the first one waited, or as soon as MAX_CAPTURE_BATCH
 * wait. Nobody waits for a batch and a failed one is only told: every reference sent belongs to
 * a booking whose booking-confirmed makes the wallet capture it anyway.
 */
export class CaptureBatcher {
  private waiting = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly send: (references: string[]) => Promise<void>,
    private readonly windowMs: number,
    private readonly failed: CaptureFailureLog,
  ) {}

  add(reference: string): void {
    this.waiting.add(reference);
    if (this.waiting.size >= MAX_CAPTURE_BATCH) this.sendWaiting();
    else this.timer ??= setTimeout(() => this.sendWaiting(), this.windowMs);
  }

  /** Sends what waits now and answers once every batch sent so far is answered (or failed). */
  async flush(): Promise<void> {
    this.sendWaiting();
    await Promise.all([...this.sending]);
  }

  private sendWaiting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const references = [...this.waiting];
    this.waiting = new Set();
    for (let at = 0; at < references.length; at += MAX_CAPTURE_BATCH) {
      const batch = references.slice(at, at + MAX_CAPTURE_BATCH);
      const sent: Promise<void> = this.send(batch)
        .catch((err: unknown) => this.failed(batch, err))
        .finally(() => this.sending.delete(sent));
      this.sending.add(sent);
    }
  }
}
