// What the pipeline benchmark watches every interval: events produced, events applied by
// referrals (its inbox rows: the only count that proves the effect committed), the group's
// committed Kafka offsets as a cross-check, referrals' memory and who uses the CPU.
import { Topics } from '@rewards/contracts';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { CpuMeter, ProcessTree, rssMiB } from './proc-stats';

export interface Sample {
  /** Seconds since production started. */
  t: number;
  phase: 'load' | 'drain';
  produced: number;
  applied: number;
  lag: number;
  /** Applied per second since the previous sample. */
  consumerRate: number;
  producerRate: number;
  /** Produced minus referrals' committed offsets, summed over partitions. */
  offsetLag: number;
  /**
   * Messages the broker no longer has (sum of the partitions' log start offsets). The embedded
   * broker, librdkafka's mock, keeps only 5 MiB per partition: a consumer further behind than
   * that skips what was dropped ("offset out of range", reset to the earliest offset).
   */
  brokerDropped: number;
  referralsRssMiB: number | undefined;
  /** Percent of one core per process tree; 200 means both cores of a 2-core machine. */
  cpu: Record<string, number>;
  machineBusyPercent: number;
  /** Busy CPU of processes that are not this run's, percent of one core. */
  othersPercent: number;
  loadAverage1m: number;
}

const APPLIED_SQL = `SELECT count(*)::int AS n FROM referrals.inbox_messages WHERE topic = $1`;

export class PipelineSampler {
  private readonly db: Client;
  private readonly admin: Admin;
  private readonly cpu: CpuMeter;
  private previous?: { at: number; applied: number; produced: number };

  constructor(
    adminUrl: string,
    brokers: string,
    private readonly referralsPid: number,
    cpuTrees: Record<string, ProcessTree>,
  ) {
    this.db = new Client({ connectionString: adminUrl, application_name: 'bench-sampler' });
    this.admin = new Kafka({
      clientId: 'bench-pipeline-sampler',
      brokers: brokers.split(','),
      logLevel: logLevel.ERROR,
    }).admin();
    this.cpu = new CpuMeter(cpuTrees);
  }

  async connect(): Promise<void> {
    await this.db.connect();
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await this.db.end().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  async applied(): Promise<number> {
    const result = await this.db.query<{ n: number }>(APPLIED_SQL, [Topics.LessonCompleted]);
    return result.rows[0].n;
  }

  /** Messages referrals dead-lettered: each one is an event the benchmark did not really apply. */
  async deadLetters(): Promise<number> {
    const result = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM referrals.dead_letters',
    );
    return result.rows[0].n;
  }

  private async dropped(): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(Topics.LessonCompleted);
    return offsets.reduce((sum, p) => sum + Number(p.low), 0);
  }

  /** Messages whose offsets the referrals group has committed. */
  private async committed(): Promise<number> {
    const [topic] = await this.admin.fetchOffsets({
      groupId: 'referrals',
      topics: [Topics.LessonCompleted],
    });
    // -1: nothing committed yet on that partition, i.e. offset 0 is next.
    return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  /** Resets the rate baseline and the CPU meter: call when production starts. */
  begin(produced: number, applied: number): void {
    this.cpu.sample();
    this.previous = { at: performance.now(), applied, produced };
  }

  async sample(t: number, phase: Sample['phase'], produced: number): Promise<Sample> {
    const [applied, committed, brokerDropped] = await Promise.all([
      this.applied(),
      this.committed(),
      this.dropped(),
    ]);
    const now = performance.now();
    const prev = this.previous ?? { at: now, applied, produced };
    const seconds = (now - prev.at) / 1000;
    const perSecond = (delta: number): number =>
      seconds > 0 ? Math.round((delta / seconds) * 10) / 10 : 0;
    this.previous = { at: now, applied, produced };
    const cpu = this.cpu.sample();
    return {
      t: Math.round(t * 10) / 10,
      phase,
      produced,
      applied,
      lag: produced - applied,
      consumerRate: perSecond(applied - prev.applied),
      producerRate: perSecond(produced - prev.produced),
      offsetLag: produced - committed,
      brokerDropped,
      referralsRssMiB: rssMiB(this.referralsPid),
      cpu: cpu.byTree,
      machineBusyPercent: cpu.machineBusyPercent,
      othersPercent: cpu.othersPercent,
      loadAverage1m: cpu.loadAverage1m,
    };
  }
}

/** Least-squares slope of y over x; 0 for fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const QUIET_OTHERS_PERCENT = 25;

export interface LagVerdict {
  /** Seconds of the load phase the verdict covers: its last four fifths. */
  windowStartS: number;
  windowEndS: number;
  /** Fitted lag growth in events per second over the window; ~0 when the consumer keeps up. */
  lagSlopePerS: number;
  /** slope x window length: how much backlog the window built up, as fitted. */
  lagGrowthOverWindow: number;
  maxLag: number;
  /** Events applied per second over the window. */
  consumerRate: number;
  producerRate: number;
  /**
   * Applied per second in the window's samples where other people's processes used under a
   * quarter of a core: what the platform does on a quiet machine. Undefined if none was quiet.
   */
  quietConsumerRate?: number;
  quietSamples: number;
  /** Lag growth over the window stayed below one second of input. */
  flat: boolean;
}

/**
 * Judges the load phase: its first fifth is warm-up (JIT, pools, group join). Flat means the
 * fitted backlog grew by less than one second's worth of events over the remaining window.
 */
export function judgeLag(samples: readonly Sample[], rate: number): LagVerdict {
  const load = samples.filter((s) => s.phase === 'load');
  const end = load.length > 0 ? load[load.length - 1].t : 0;
  const window = load.filter((s) => s.t >= end / 5);
  const first = window[0];
  const last = window[window.length - 1];
  const lagSlopePerS = slope(window.map((s) => ({ x: s.t, y: s.lag })));
  const span = first && last ? last.t - first.t : 0;
  const rateOf = (pick: (s: Sample) => number): number =>
    first && last && span > 0 ? Math.round(((pick(last) - pick(first)) / span) * 10) / 10 : 0;
  const growth = lagSlopePerS * span;
  const quiet = window.filter((s) => s.othersPercent < QUIET_OTHERS_PERCENT);
  const quietRate = quiet.reduce((sum, s) => sum + s.consumerRate, 0) / Math.max(1, quiet.length);
  return {
    windowStartS: first?.t ?? 0,
    windowEndS: last?.t ?? 0,
    lagSlopePerS: Math.round(lagSlopePerS * 100) / 100,
    lagGrowthOverWindow: Math.round(growth),
    maxLag: load.reduce((max, s) => Math.max(max, s.lag), 0),
    consumerRate: rateOf((s) => s.applied),
    producerRate: rateOf((s) => s.produced),
    quietConsumerRate: quiet.length > 0 ? Math.round(quietRate * 10) / 10 : undefined,
    quietSamples: quiet.length,
    flat: window.length >= 3 && growth < rate,
  };
}
