// The pipeline benchmark's row in bench/results/README.md: one line per run, misses included,
// with the machine's load, since other work on a shared 2-core box moves the numbers.
import { relative } from 'node:path';
import { appendTableRow, Environment } from './bench-report';
import { PgbenchResult } from './pgbench';
import { LagVerdict } from './pipeline-sampler';

export interface PipelineResult extends Environment {
  config: { rate: number; duration: number; services: Record<string, string> };
  machineLoad: { before: string; after: string };
  targetMet: boolean;
  verdict: LagVerdict;
  drain: { drained: boolean; lostByBroker?: number; seconds?: number; consumerRate?: number };
  referralsRssMiB: { max: number; end?: number };
  cpuPercentOfOneCore: Record<string, number>;
  pgbench: { before?: PgbenchResult; after?: PgbenchResult };
  eventsPerTpcbTransaction?: number;
}

const HEADER = [
  'date (UTC)',
  'commit',
  'cpus',
  'load 1m before / after',
  'target /s',
  's',
  'in /s',
  'applied /s',
  'applied /s on a quiet machine (samples)',
  'lag slope /s',
  'max lag',
  'drain s (max /s)',
  'lost by broker',
  'CPU % referrals / postgres / producer / others',
  'referrals RSS max MiB',
  'TPC-B tps before / after',
  'events per TPC-B tx',
  'settings',
  'flat',
  'file',
];

const tps = (run: PgbenchResult | undefined): string =>
  run === undefined ? '-' : String(Math.round(run.tps));

const firstLoad = (line: string): string => line.split(' ')[1] ?? '?';

export function recordPipelineRow(root: string, file: string, r: PipelineResult): void {
  const v = r.verdict;
  const cpu = r.cpuPercentOfOneCore;
  const settings = Object.entries(r.config.services)
    .filter(([k]) => k !== 'LOG_LEVEL' && k !== 'NODE_OPTIONS')
    .map(([k, val]) => `${k}=${val}`)
    .join(' ');
  const drain = r.drain.drained
    ? `${r.drain.seconds ?? 0} (${r.drain.consumerRate ?? '-'})`
    : `not drained (${r.drain.consumerRate ?? '-'})`;
  appendTableRow(root, 'pipeline-throughput', HEADER, [
    r.date.slice(0, 19).replace('T', ' '),
    `${r.gitCommit.slice(0, 10)}${r.gitDirty ? ' (dirty)' : ''}`,
    String(r.cpus),
    `${firstLoad(r.machineLoad.before)} / ${firstLoad(r.machineLoad.after)}`,
    String(r.config.rate),
    String(r.config.duration),
    String(v.producerRate),
    String(v.consumerRate),
    v.quietConsumerRate === undefined ? '-' : `${v.quietConsumerRate} (${v.quietSamples})`,
    String(v.lagSlopePerS),
    String(v.maxLag),
    drain,
    String(r.drain.lostByBroker ?? '?'),
    `${cpu.referrals ?? '-'} / ${cpu.postgres ?? '-'} / ${cpu.bench ?? '-'} / ${cpu.others ?? '-'}`,
    String(r.referralsRssMiB.max),
    `${tps(r.pgbench.before)} / ${tps(r.pgbench.after)}`,
    String(r.eventsPerTpcbTransaction ?? '-'),
    settings === '' ? 'defaults' : settings,
    r.targetMet ? 'yes' : 'MISS',
    relative(`${root}/bench/results`, file),
  ]);
}
