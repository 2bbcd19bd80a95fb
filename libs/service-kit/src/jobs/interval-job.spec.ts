import { IntervalJob, JobLogger, TickLock } from './interval-job';

class Lines implements JobLogger {
  readonly logged: Array<Record<string, unknown>> = [];
  readonly errors: Array<Record<string, unknown>> = [];
  log(line: Record<string, unknown>): void {
    this.logged.push(line);
  }
  error(line: Record<string, unknown>): void {
    this.errors.push(line);
  }
}

/** A tick that ends when the test says so. */
class HeldTicks {
  started = 0;
  private finish: Array<(value: number) => void> = [];
  run = (): Promise<number> => {
    this.started += 1;
    return new Promise((resolve) => this.finish.push(resolve));
  };
  end(value = 1): void {
    this.finish.splice(0).forEach((resolve) => resolve(value));
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe(IntervalJob.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ticks every interval once started, and never before', async () => {
    const run = jest.fn().mockResolvedValue(0);
    const job = new IntervalJob({ name: 'j', intervalMs: 1000, jitter: 0, run }, new Lines());
    await jest.advanceTimersByTimeAsync(5000);
    expect(run).not.toHaveBeenCalled();
    job.start();
    job.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(run).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(run).toHaveBeenCalledTimes(3);
    await job.stop();
  });

  it('never overlaps ticks: a slow tick delays the next one', async () => {
    const ticks = new HeldTicks();
    const job = new IntervalJob(
      { name: 'j', intervalMs: 100, jitter: 0, run: ticks.run },
      new Lines(),
    );
    job.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(ticks.started).toBe(1);
    // A tick asked for while one runs shares it instead of starting another.
    const shared = job.tick();
    expect(ticks.started).toBe(1);
    ticks.end();
    await shared;
    await jest.advanceTimersByTimeAsync(100);
    expect(ticks.started).toBe(2);
    ticks.end();
    await job.stop();
  });

  it('waits for the tick under way on stop, and starts none after', async () => {
    const ticks = new HeldTicks();
    const job = new IntervalJob(
      { name: 'j', intervalMs: 100, jitter: 0, run: ticks.run },
      new Lines(),
    );
    job.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(ticks.started).toBe(1);
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    ticks.end();
    await stopping;
    expect(stopped).toBe(true);
    await jest.advanceTimersByTimeAsync(10_000);
    await job.tick();
    expect(ticks.started).toBe(1);
  });

  it('logs a failed tick with the job name and keeps ticking', async () => {
    const lines = new Lines();
    const run = jest.fn().mockRejectedValueOnce(new Error('db down')).mockResolvedValue(3);
    const job = new IntervalJob(
      { name: 'wallet:credit-expiry', intervalMs: 100, jitter: 0, run, report: (n) => ({ n }) },
      lines,
    );
    job.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(lines.errors).toEqual([
      {
        message: 'wallet:credit-expiry tick failed',
        job: 'wallet:credit-expiry',
        err: 'Error: db down',
      },
    ]);
    await jest.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(2);
    expect(lines.logged).toEqual([
      { message: 'wallet:credit-expiry tick', job: 'wallet:credit-expiry', n: 3 },
    ]);
    await job.stop();
  });

  it('logs nothing for a tick its report calls uneventful', async () => {
    const lines = new Lines();
    const job = new IntervalJob(
      { name: 'j', intervalMs: 100, run: () => Promise.resolve(0), report: () => undefined },
      lines,
    );
    await job.tick();
    expect(lines.logged).toEqual([]);
    expect(lines.errors).toEqual([]);
  });

  it('spreads each wait by up to the jitter either side of the interval', () => {
    const at = (r: number) =>
      new IntervalJob(
        { name: 'j', intervalMs: 1000, jitter: 0.2, run: () => Promise.resolve() },
        new Lines(),
        () => r,
      ).nextDelayMs();
    expect(at(0)).toBe(800);
    expect(at(0.5)).toBe(1000);
    expect(at(0.999999)).toBe(1200);
  });

  it('runs the tick only when its lock is free, and reports nothing when skipped', async () => {
    const lines = new Lines();
    let free = false;
    const lock: TickLock = {
      runExclusive: async (work) => {
        if (!free) return false;
        await work();
        return true;
      },
    };
    const run = jest.fn().mockResolvedValue(1);
    const job = new IntervalJob(
      { name: 'j', intervalMs: 100, run, lock, report: (n) => ({ n }) },
      lines,
    );
    await job.tick();
    expect(run).not.toHaveBeenCalled();
    expect(lines.logged).toEqual([]);
    free = true;
    await job.tick();
    expect(run).toHaveBeenCalledTimes(1);
    expect(lines.logged).toHaveLength(1);
  });

  it('logs a lock that cannot be taken (the database is away) as a failed tick', async () => {
    const lines = new Lines();
    const lock: TickLock = { runExclusive: () => Promise.reject(new Error('ECONNREFUSED')) };
    const job = new IntervalJob({ name: 'j', intervalMs: 100, run: jest.fn(), lock }, lines);
    await job.tick();
    expect(lines.errors).toMatchObject([{ job: 'j', err: 'Error: ECONNREFUSED' }]);
  });

  it('refuses a schedule that would spin or never run', () => {
    const run = () => Promise.resolve();
    expect(() => new IntervalJob({ name: 'j', intervalMs: 0, run }, new Lines())).toThrow(
      /intervalMs/,
    );
    expect(
      () => new IntervalJob({ name: 'j', intervalMs: 10, jitter: 1, run }, new Lines()),
    ).toThrow(/jitter/);
  });
});
