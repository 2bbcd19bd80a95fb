// What Postgres' backends wait on during a benchmark phase: pg_stat_activity sampled every few
// milliseconds from one admin connection, each active backend counted by its role and what it
// waits on (a lock, I/O, the client, nothing), per second of the phase. Diagnostic only: a
// sample costs the server a little CPU, so runs that measure the target leave it off.
import { Client } from 'pg';

interface Sample {
  /** Milliseconds since the sampler started. */
  atMs: number;
  /** `role wait_event_type:wait_event` (or `role running`) for each active backend. */
  waits: string[];
  /** The statements of backends waiting on a lock, shortened. */
  lockedQueries: string[];
  /** Connections open per role (active or not). */
  connections: Record<string, number>;
  /** The WAL file being written. */
  walFile: string;
}

export interface WaitSecond {
  second: number;
  samples: number;
  /** Active backends per sample, on average, by what they were doing. */
  activeBySource: Record<string, number>;
  /** The statements seen waiting on a lock in that second, with how many samples saw each. */
  lockWaits: Record<string, number>;
  /** The most connections each role had open at once in that second. */
  connections: Record<string, number>;
  /** WAL files begun in that second (each new one is created and filled before use). */
  walFilesBegun: number;
}

/** Postgres-wide counters over the phase: commits, and the WAL flushes they waited for. */
export interface WalCounters {
  commits: number;
  walRecords: number;
  walBytes: number;
  walWrites: number;
  walSyncs: number;
}

const WAL_COUNTERS = `SELECT (SELECT sum(xact_commit) FROM pg_stat_database) AS commits,
                             wal_records AS "walRecords", wal_bytes AS "walBytes",
                             wal_write AS "walWrites", wal_sync AS "walSyncs"
                        FROM pg_stat_wal`;

export class WaitSampler {
  private readonly samples: Sample[] = [];
  private walBefore: WalCounters | null = null;
  private client: Client | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private began = 0;

  constructor(
    private readonly adminUrl: string,
    private readonly intervalMs = 10,
  ) {}

  async start(): Promise<void> {
    this.client = new Client({ connectionString: this.adminUrl });
    await this.client.connect();
    this.walBefore = await this.walCounters();
    this.running = true;
    this.began = performance.now();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const client = this.client!;
    while (this.running) {
      const atMs = performance.now() - this.began;
      const { rows } = await client.query<{
        role: string;
        active: boolean;
        wait: string | null;
        query: string;
      }>(
        `SELECT usename AS role, state = 'active' AS active,
                CASE WHEN wait_event IS NULL THEN NULL
                     ELSE wait_event_type || ':' || wait_event END AS wait,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query
           FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      const {
        rows: [{ walFile }],
      } = await client.query<{ walFile: string }>(
        'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS "walFile"',
      );
      const active = rows.filter((r) => r.active);
      const connections: Record<string, number> = {};
      for (const r of rows) connections[r.role] = (connections[r.role] ?? 0) + 1;
      this.samples.push({
        atMs,
        waits: active.map((r) => `${r.role} ${r.wait ?? 'running'}`),
        lockedQueries: active.filter((r) => r.wait?.startsWith('Lock:')).map((r) => r.query),
        connections,
        walFile,
      });
      const next = this.began + (this.samples.length + 1) * this.intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async walCounters(): Promise<WalCounters> {
    await this.client!.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.client!.query<Record<keyof WalCounters, string>>(WAL_COUNTERS);
    const row = rows[0];
    return {
      commits: Number(row.commits),
      walRecords: Number(row.walRecords),
      walBytes: Number(row.walBytes),
      walWrites: Number(row.walWrites),
      walSyncs: Number(row.walSyncs),
    };
  }

  /** Per second of the phase, what the active backends were doing; and the WAL counters. */
  async stop(): Promise<{ seconds: WaitSecond[]; wal: WalCounters }> {
    this.running = false;
    await this.loop;
    const after = await this.walCounters();
    await this.client?.end();
    const before = this.walBefore!;
    const wal: WalCounters = {
      commits: after.commits - before.commits,
      walRecords: after.walRecords - before.walRecords,
      walBytes: after.walBytes - before.walBytes,
      walWrites: after.walWrites - before.walWrites,
      walSyncs: after.walSyncs - before.walSyncs,
    };
    const seconds = new Map<number, Sample[]>();
    for (const sample of this.samples) {
      const second = Math.floor(sample.atMs / 1000);
      seconds.set(second, [...(seconds.get(second) ?? []), sample]);
    }
    let lastWalFile = this.samples[0]?.walFile;
    const perSecond = [...seconds].map(([second, samples]) => {
      let walFilesBegun = 0;
      for (const sample of samples) {
        if (sample.walFile !== lastWalFile) walFilesBegun += 1;
        lastWalFile = sample.walFile;
      }
      const activeBySource: Record<string, number> = {};
      const lockWaits: Record<string, number> = {};
      const connections: Record<string, number> = {};
      for (const sample of samples) {
        for (const [role, n] of Object.entries(sample.connections)) {
          connections[role] = Math.max(connections[role] ?? 0, n);
        }
        for (const wait of sample.waits) activeBySource[wait] = (activeBySource[wait] ?? 0) + 1;
        for (const query of sample.lockedQueries) lockWaits[query] = (lockWaits[query] ?? 0) + 1;
      }
      for (const key of Object.keys(activeBySource)) {
        activeBySource[key] = Math.round((activeBySource[key] / samples.length) * 100) / 100;
      }
      return {
        second,
        samples: samples.length,
        activeBySource,
        lockWaits,
        connections,
        walFilesBegun,
      };
    });
    return { seconds: perSecond, wal };
  }
}

/** `name=value` settings put into postgresql.auto.conf and reloaded (not those needing a restart). */
export async function applyPostgresSettings(adminUrl: string, settings: string[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const setting of settings) {
      const match = /^([a-z_.]+)=(.+)$/.exec(setting);
      if (!match) throw new Error(`BENCH_POSTGRES_SETTINGS: "${setting}" is not name=value`);
      await client.query(`ALTER SYSTEM SET ${match[1]} = ${client.escapeLiteral(match[2])}`);
    }
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
}

/**
 * ANALYZE of every table, as autovacuum's analyze would after enough writes: the statistics a
 * running platform's planner has. Cached plans of the tables analyzed are planned again.
 */
export async function analyzeDatabase(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}
