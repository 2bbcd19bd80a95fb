// What the platform costs while nobody uses it: each process's CPU (utime + stime from /proc)
// and each service's statements (pg_stat_statements, per database role) over a quiet window.
// Statement counts do not depend on the machine's load; the CPU shares do, a little.
import { join } from 'node:path';
import { Client } from 'pg';
import { startBenchPlatform } from './bench-platform';
import { sleep } from './bench-http';
import { CpuMeter, ProcessTree, syscalls } from './proc-stats';
import { findRepoRoot } from './bench-report';
import { resetStatementStats } from './statement-stats';

const seconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
/** Services to CPU-profile over the idle window, e.g. `referrals` (see cpu-profile-preload). */
const profiled = (process.env.BENCH_PROFILE ?? '').split(',').filter((s) => s !== '');

async function statementsByRole(adminUrl: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ role: string; calls: string }>(
      `SELECT r.rolname AS role, sum(s.calls)::text AS calls
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
        WHERE s.query NOT LIKE '%pg_stat_statements%'
        GROUP BY r.rolname ORDER BY r.rolname`,
    );
    return Object.fromEntries(rows.map((r) => [r.role, Number(r.calls)]));
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const root = findRepoRoot(__dirname);
  const say = (line: string) => console.error(`idle-cpu: ${line}`);
  const logDir = join(root, '.local', 'bench-logs', 'idle-cpu');
  const preload = {
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile-preload.js')}`,
    BENCH_CPU_PROFILE_DIR: logDir,
  };
  const platform = await startBenchPlatform({
    root,
    partitions: 3,
    logDir,
    statementStats: true,
    serviceEnv: Object.fromEntries(profiled.map((name) => [name, preload])),
    say,
  });
  const signalProfiled = () => {
    for (const [name, proc] of platform.services) {
      if (profiled.includes(name)) process.kill(proc.pid, 'SIGWINCH');
    }
  };
  try {
    say('settling for 15 s');
    await sleep(15_000);
    const trees: Record<string, ProcessTree> = {
      postgres: { pid: platform.postgresPid, descendants: true },
      kafkaMock: { pid: platform.kafkaPid, descendants: true },
    };
    for (const [name, proc] of platform.services) {
      trees[name] = { pid: proc.pid, descendants: true };
    }
    await resetStatementStats(platform.adminUrl);
    const callsBefore = new Map([...platform.services].map(([n, p]) => [n, syscalls(p.pid)]));
    const meter = new CpuMeter(trees);
    say(`measuring ${seconds} s of idle`);
    signalProfiled();
    await sleep(seconds * 1000);
    const cpu = meter.sample();
    signalProfiled();
    // Socket reads and writes: each is a wake-up (a fetch, a statement, a heartbeat).
    const syscallsPerSecond: Record<string, number> = {};
    for (const [name, proc] of platform.services) {
      const [before, after] = [callsBefore.get(name), syscalls(proc.pid)];
      if (!before || !after) continue;
      const calls = after.reads - before.reads + after.writes - before.writes;
      syscallsPerSecond[name] = Math.round((calls / seconds) * 10) / 10;
    }
    const statements = await statementsByRole(platform.adminUrl);
    const perSecond = Object.fromEntries(
      Object.entries(statements).map(([role, n]) => [role, Math.round((n / seconds) * 10) / 10]),
    );
    console.log(
      JSON.stringify(
        { seconds, cpuPercentOfCore: cpu, syscallsPerSecond, statementsPerSecond: perSecond },
        null,
        2,
      ),
    );
  } finally {
    await platform.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
