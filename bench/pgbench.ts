// pgbench's TPC-B-like run against the benchmark's own Postgres, in a database of its own: the
// machine's baseline for "how much database work can this box do", measured in the same run.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Client } from 'pg';

export interface PgbenchOptions {
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
}

export interface PgbenchResult {
  /** Transactions per second, without the initial connection time. */
  tps: number;
  latencyAverageMs: number;
  transactions: number;
  failed: number;
  pgbenchVersion: string;
}

const DATABASE = 'bench_pgbench';

/** PGBENCH if set, else the newest Debian-installed one, else whatever is on PATH. */
export function findPgbench(): string {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(`${base}/${v}/bin/pgbench`))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return `${base}/${versions[0]}/bin/pgbench`;
  }
  return 'pgbench';
}

function run(file: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(`${stdout}\n${stderr}`);
      },
    );
  });
}

function connectionEnv(adminUrl: string): Record<string, string> {
  const url = new URL(adminUrl);
  return {
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: DATABASE,
  };
}

/** Creates (or recreates) the pgbench database and fills it at `scale`. */
export async function initPgbench(adminUrl: string, scale: number): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  await run(findPgbench(), ['-i', '-q', '-s', String(scale)], connectionEnv(adminUrl));
}

function matchNumber(output: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(output);
  if (!match) throw new Error(`pgbench output has no ${what}:\n${output.slice(-2000)}`);
  return Number(match[1]);
}

export async function runPgbench(adminUrl: string, opts: PgbenchOptions): Promise<PgbenchResult> {
  const pgbench = findPgbench();
  const output = await run(
    pgbench,
    ['-c', String(opts.clients), '-j', String(opts.threads), '-T', String(opts.seconds)],
    connectionEnv(adminUrl),
  );
  const version = (await run(pgbench, ['--version'], {})).trim();
  return {
    tps: matchNumber(output, /^tps = ([\d.]+) \(without initial connection time\)/m, 'tps'),
    latencyAverageMs: matchNumber(output, /^latency average = ([\d.]+) ms/m, 'latency'),
    transactions: matchNumber(
      output,
      /^number of transactions actually processed: (\d+)/m,
      'count',
    ),
    failed: /^number of failed transactions: (\d+)/m.test(output)
      ? matchNumber(output, /^number of failed transactions: (\d+)/m, 'failures')
      : 0,
    pgbenchVersion: version,
  };
}
