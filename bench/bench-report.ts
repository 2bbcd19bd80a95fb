// Statistics and result files for benchmarks: a JSON file per run in bench/results/ and one row
// per run in bench/results/README.md, with what is needed to compare runs (commit, node, cpus).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { dirname, join } from 'node:path';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending list: a value that was actually measured. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of an empty list');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
    mean: round(sorted.reduce((sum, v) => sum + v, 0) / sorted.length),
  };
}

export interface Environment {
  date: string;
  gitCommit: string;
  /** Uncommitted changes to tracked files: the commit alone does not name the code measured. */
  gitDirty: boolean;
  node: string;
  cpus: number;
  cpuModel: string;
  os: string;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

export function describeEnvironment(root: string, date: Date): Environment {
  // Results are not code: an earlier run's row in bench/results must not mark this run dirty.
  const status = git(root, [
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    '.',
    ':!bench/results',
  ]);
  return {
    date: date.toISOString(),
    gitCommit: git(root, ['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: status !== undefined && status !== '',
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    os: `${platform()} ${release()}`,
  };
}

export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root (nx.json) above ${from}`);
  }
}

/** Writes `<name>-<date>.json` into bench/results and returns its path. */
export function writeResultFile(root: string, name: string, date: Date, result: unknown): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Seconds in the name: two runs on one day must not overwrite each other.
  const stamp = date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const path = join(dir, `${name}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/**
 * Adds a row at the end of the `## <title>` table in bench/results/README.md, creating the file
 * or the section (with its header) when missing, so each benchmark keeps its own table.
 */
export function appendTableRow(
  root: string,
  title: string,
  header: readonly string[],
  row: readonly string[],
): void {
  const path = join(root, 'bench', 'results', 'README.md');
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const intro = '# Benchmark results\n\nOne row per run; the JSON file named holds the details.\n';
  const lines = (existsSync(path) ? readFileSync(path, 'utf8') : intro)
    .replace(/\n+$/, '')
    .split('\n');
  const heading = lines.indexOf(`## ${title}`);
  if (heading === -1) {
    lines.push('', `## ${title}`, '', line(header), line(header.map(() => '---')), line(row));
  } else {
    let end = heading + 1;
    const inSection = (i: number): boolean => i < lines.length && !lines[i].startsWith('## ');
    while (inSection(end) && !lines[end].startsWith('|')) end += 1;
    if (!inSection(end)) {
      lines.splice(end, 0, '', line(header), line(header.map(() => '---')), line(row), '');
    } else {
      while (end < lines.length && lines[end].startsWith('|')) end += 1;
      lines.splice(end, 0, line(row));
    }
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}
