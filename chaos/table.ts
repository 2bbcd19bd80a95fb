// The results table printed after the seeds, and the pass/fail rule of one seed.
import { FaultEvent } from './faults';
import { FlowResult } from './flow';
import { InvariantReport } from './invariants';
import { SeedPlan, summarizeFaults } from './schedule';

export interface SeedResult {
  seed: number;
  plan: SeedPlan;
  faults: FaultEvent[];
  flows: FlowResult[];
  duplicates: number;
  stripeInjected: number;
  restarts: Record<string, number>;
  quiet: string;
  report: InvariantReport | undefined;
  error: string | undefined;
  durationMs: number;
  seedDir: string;
}

/** A seed passes when it ran to the end, every flow got through and every invariant held. */
export function passed(r: SeedResult): boolean {
  return (
    r.error === undefined && r.report?.ok === true && r.flows.every((f) => f.error === undefined)
  );
}

/** What was actually injected, e.g. "kill×3 broker×1 pg-stop 17s dup 14 stripe 9". */
function faultsInjected(r: SeedResult): string {
  if (r.error !== undefined && r.faults.length === 0) return `${summarizeFaults(r.plan)} (not run)`;
  const done = r.faults.filter((e) => e.done);
  const kills = done.filter((e) => e.what.startsWith('kill -9')).length;
  const brokers = done.filter((e) => e.what.startsWith('broker restart')).length;
  const freeze = r.plan.timed.find((f) => f.kind === 'postgres-freeze');
  const froze = done.some((e) => e.what.startsWith('SIGSTOP Postgres'));
  const lock = r.plan.timed.find((f) => f.kind === 'lock-hold');
  const locked = done.some((e) => e.what.startsWith('lock held'));
  const parts = [
    kills > 0 ? `kill×${kills}` : '',
    brokers > 0 ? `broker×${brokers}` : '',
    froze && freeze ? `pg-stop ${Math.round(freeze.durationMs / 1000)}s` : '',
    locked && lock ? `lock ${Math.round(lock.durationMs / 1000)}s` : '',
    r.plan.duplicates ? `dup ${r.duplicates}` : '',
    r.plan.stripe ? `stripe ${r.stripeInjected}` : '',
  ].filter((p) => p !== '');
  return parts.join(' ') || 'none';
}

export function formatTable(results: SeedResult[]): string[] {
  const header = [
    'seed',
    'faults injected',
    'flows',
    'owed',
    'paid',
    'lost',
    'doubled',
    'disagreeing',
    'other',
    'dead letters',
    'time',
    'result',
  ];
  const rows = results.map((r) => {
    const rep = r.report;
    const completed = r.flows.filter((f) => f.completedAt !== undefined).length;
    const other = rep ? rep.program.length + rep.ledger.length : 0;
    return [
      String(r.seed),
      faultsInjected(r),
      `${completed}/${r.plan.flows}`,
      rep ? String(rep.owed) : '-',
      rep ? String(rep.paid) : '-',
      rep ? String(rep.lost.length) : '-',
      rep ? String(rep.doubled.length) : '-',
      rep ? String(rep.disagreeing.length) : '-',
      rep ? String(other) : '-',
      rep ? String(rep.deadLetters.length) : '-',
      `${Math.round(r.durationMs / 1000)}s`,
      passed(r) ? 'pass' : r.error !== undefined ? 'ERROR' : 'FAIL',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
