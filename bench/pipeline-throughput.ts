// Event pipeline throughput: lesson-completed events at a fixed rate into the embedded platform
// (all five services running), applied by the referrals consumer; is the lag flat? With
// pgbench TPC-B on the same Postgres in the same run as the machine's baseline. See
// bench/README.md (pipeline-throughput) for the target and how to read the result.
import { uptime } from 'node:os';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { BenchPlatform, startBenchPlatform } from './bench-platform';
import { DbCounters } from './db-stats';
import { describeEnvironment, findRepoRoot, writeResultFile } from './bench-report';
import { LessonCompletedLoad } from './lesson-completed-load';
import { PgbenchResult, initPgbench, runPgbench } from './pgbench';
import { recordPipelineRow } from './pipeline-report';
import { PipelineSampler, Sample, judgeLag } from './pipeline-sampler';
import { ProcessTree } from './proc-stats';

const OPTIONS = {
  rate: 1000,
  duration: 300,
  interval: 5,
  instructors: 20_000,
  'send-interval-ms': 20,
  partitions: 3,
  'drain-timeout': 120,
  'pgbench-scale': 10,
  'pgbench-clients': 4,
  'pgbench-threads': 2,
  'pgbench-seconds': 30,
  /** 0 skips pgbench (quick iterations on the consumer). */
  pgbench: 1,
  /** 1 writes a V8 CPU profile of referrals over the judged window into the run's log dir. */
  'profile-referrals': 0,
};
type Options = typeof OPTIONS;

function parseArgs(argv: readonly string[]): Options {
  const options = { ...OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(name in options)) {
      throw new Error(`unknown argument ${argv[i]}; known: ${Object.keys(OPTIONS).join(', ')}`);
    }
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs an integer`);
    options[name as keyof Options] = value;
  }
  return options;
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function loadLine(): string {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load ${one} ${five} ${fifteen}, up ${Math.round(uptime() / 60)} min`;
}

function format(s: Sample): string {
  const cpu = Object.entries(s.cpu)
    .filter(([, v]) => v >= 1)
    .map(([k, v]) => `${k} ${v}%`)
    .join(' ');
  return (
    `${s.phase} t=${s.t}s produced=${s.produced} applied=${s.applied} lag=${s.lag} ` +
    `(offsets ${s.offsetLag}, broker dropped ${s.brokerDropped}) ` +
    `in ${s.producerRate}/s out ${s.consumerRate}/s ` +
    `rss ${s.referralsRssMiB ?? '?'}MiB machine ${s.machineBusyPercent}% ld ${s.loadAverage1m} | ` +
    `${cpu} others ${s.othersPercent}%`
  );
}

async function pgbenchPhase(
  platform: BenchPlatform,
  o: Options,
  when: string,
): Promise<PgbenchResult | undefined> {
  if (o.pgbench === 0) return undefined;
  const opts = {
    scale: o['pgbench-scale'],
    clients: o['pgbench-clients'],
    threads: o['pgbench-threads'],
    seconds: o['pgbench-seconds'],
  };
  say(`pgbench ${when}: -c ${opts.clients} -j ${opts.threads} -T ${opts.seconds} (${loadLine()})`);
  const result = await runPgbench(platform.adminUrl, opts);
  say(`pgbench ${when}: ${result.tps} tps, ${result.latencyAverageMs} ms average`);
  return result;
}

interface LoadOutcome {
  samples: Sample[];
  database: Record<string, Record<string, number>>;
  deadLetters: number;
}

async function loadPhase(platform: BenchPlatform, o: Options): Promise<LoadOutcome> {
  const referrals = platform.services.get('referrals');
  if (referrals === undefined) throw new Error('referrals is not running');
  // The bench's own process only (the producer): everything else is its child, measured apart.
  const trees: Record<string, ProcessTree> = {
    postgres: { pid: platform.postgresPid, descendants: true },
    kafka: { pid: platform.kafkaPid, descendants: true },
    bench: { pid: process.pid, descendants: false },
  };
  for (const [name, proc] of platform.services) trees[name] = { pid: proc.pid, descendants: true };
  const sampler = new PipelineSampler(platform.adminUrl, platform.brokers, referrals.pid, trees);
  const load = new LessonCompletedLoad({
    brokers: platform.brokers,
    rate: o.rate,
    instructors: o.instructors,
    sendIntervalMs: o['send-interval-ms'],
  });
  await Promise.all([sampler.connect(), load.connect()]);
  const samples: Sample[] = [];
  try {
    const baseline = await sampler.applied();
    if (baseline !== 0) throw new Error(`fresh database expected, inbox holds ${baseline}`);
    say(`producing ${o.rate}/s for ${o.duration} s (${loadLine()})`);
    const counters = new DbCounters(platform.adminUrl);
    await counters.start();
    sampler.begin(0, 0);
    const start = performance.now();
    load.start();
    const elapsed = (): number => (performance.now() - start) / 1000;
    const ticks = Math.ceil(o.duration / o.interval);
    for (let n = 1; n <= ticks; n++) {
      await sleep(start + Math.min(n * o.interval, o.duration) * 1000 - performance.now());
      // The last load sample counts everything produced: the producer has stopped by then.
      if (n === ticks) await load.stop();
      // The profile, when asked for, covers the judged window: the last four fifths of the load.
      const profileMark = n === ticks || n === Math.ceil(ticks / 5);
      if (o['profile-referrals'] === 1 && profileMark) process.kill(referrals.pid, 'SIGWINCH');
      samples.push(await sampler.sample(elapsed(), 'load', load.produced));
      say(format(samples[samples.length - 1]));
      const dead = [...platform.services.values()].find((s) => s.hasExited());
      if (dead) throw new Error(`${dead.name} exited during the run; see ${dead.logFile}`);
    }
    // Drain: how long the backlog takes to clear shows the consumer's spare (or missing) capacity.
    // It ends early once the group has read to the end and applies nothing more: whatever is
    // still missing was dropped by the broker before it was read.
    const drainEnd = performance.now() + o['drain-timeout'] * 1000;
    for (;;) {
      const [before, last] = samples.slice(-2);
      if (last === undefined || last.applied >= load.produced) break;
      if (last.offsetLag === 0 && before?.offsetLag === 0 && before.applied === last.applied) break;
      if (performance.now() >= drainEnd) break;
      await sleep(Math.min(o.interval * 1000, drainEnd - performance.now()));
      samples.push(await sampler.sample(elapsed(), 'drain', load.produced));
      say(format(samples[samples.length - 1]));
    }
    const failures = load.sendFailures;
    if (failures.count > 0) say(`producer: ${failures.count} failed sends, last: ${failures.last}`);
    const database = await counters.finish(samples[samples.length - 1]?.applied ?? 0);
    say(`database per event: ${JSON.stringify(database.perEvent)}`);
    const deadLetters = await sampler.deadLetters();
    if (deadLetters > 0) say(`referrals dead-lettered ${deadLetters} events: not a valid run`);
    return { samples, database, deadLetters };
  } finally {
    await Promise.all([sampler.close(), load.disconnect()]);
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const root = findRepoRoot(__dirname);
  const date = new Date();
  const environment = describeEnvironment(root, date);
  const stamp = date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const logDir = join(root, '.local', 'bench', `pipeline-${stamp}`);
  const loadBefore = loadLine();
  say(`pipeline-throughput: ${loadBefore}; logs in ${relative(root, logDir)}`);
  const platform = await startBenchPlatform({
    root,
    partitions: o.partitions,
    logDir,
    say,
    serviceEnv:
      o['profile-referrals'] === 1
        ? {
            referrals: {
              NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile-preload.js')}`,
              BENCH_CPU_PROFILE_DIR: logDir,
            },
          }
        : undefined,
  });
  let outcome: LoadOutcome;
  let before: PgbenchResult | undefined;
  let after: PgbenchResult | undefined;
  try {
    if (o.pgbench === 1) {
      say(`pgbench -i -s ${o['pgbench-scale']}`);
      await initPgbench(platform.adminUrl, o['pgbench-scale']);
    }
    before = await pgbenchPhase(platform, o, 'before');
    outcome = await loadPhase(platform, o);
    after = await pgbenchPhase(platform, o, 'after');
  } finally {
    await platform.stop();
  }
  const loadAfter = loadLine();
  const { samples, database, deadLetters } = outcome;
  const verdict = judgeLag(samples, o.rate);
  const drain = samples.filter((s) => s.phase === 'drain');
  const last = samples[samples.length - 1];
  const drained = last !== undefined && last.lag === 0;
  // Read to the end yet not applied: events the embedded broker dropped before they were read.
  const lostByBroker = last !== undefined && last.offsetLag === 0 ? last.lag : undefined;
  const loadEnd = samples.filter((s) => s.phase === 'load').pop()?.t ?? 0;
  const tps = [before?.tps, after?.tps].filter((v): v is number => v !== undefined);
  const baselineTps = tps.length > 0 ? Math.min(...tps) : undefined;
  const targetMet =
    verdict.flat &&
    verdict.producerRate >= o.rate * 0.99 &&
    drained &&
    lostByBroker === 0 &&
    deadLetters === 0;
  const cpuMean = meanCpu(samples.filter((s) => s.phase === 'load' && s.t >= loadEnd / 5));
  const result = {
    benchmark: 'pipeline-throughput',
    ...environment,
    setup:
      'embedded platform started by the benchmark (fresh Postgres, Kafka mock, fake Stripe, 5 services from dist/)',
    config: { ...o, services: platform.serviceSettings },
    machineLoad: { before: loadBefore, after: loadAfter },
    target: { eventsPerSecond: 1000, lagFlatSeconds: 300 },
    targetMet,
    verdict,
    deadLetters,
    drain: {
      drained,
      lostByBroker,
      seconds: drained ? Math.round((last.t - loadEnd) * 10) / 10 : undefined,
      consumerRate: drain.length > 0 ? Math.max(...drain.map((s) => s.consumerRate)) : undefined,
    },
    referralsRssMiB: {
      max: Math.max(...samples.map((s) => s.referralsRssMiB ?? 0)),
      end: last?.referralsRssMiB,
    },
    cpuPercentOfOneCore: cpuMean,
    database,
    pgbench: { before, after },
    eventsPerTpcbTransaction:
      baselineTps !== undefined
        ? Math.round((verdict.consumerRate / baselineTps) * 100) / 100
        : undefined,
    samples,
  };
  const file = writeResultFile(root, 'pipeline-throughput', date, result);
  recordPipelineRow(root, file, result);
  console.log(
    JSON.stringify({ ...result, samples: `${samples.length} in ${relative(root, file)}` }, null, 2),
  );
  return targetMet ? 0 : 2;
}

function meanCpu(samples: readonly Sample[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.cpu)) sums[k] = (sums[k] ?? 0) + v;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) out[k] = Math.round((v / samples.length) * 10) / 10;
  out.others =
    Math.round(
      (samples.reduce((s, x) => s + x.othersPercent, 0) / Math.max(1, samples.length)) * 10,
    ) / 10;
  out.machineBusyPercent =
    Math.round(
      (samples.reduce((s, x) => s + x.machineBusyPercent, 0) / Math.max(1, samples.length)) * 10,
    ) / 10;
  return out;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`pipeline-throughput: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
