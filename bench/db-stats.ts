// Postgres' own counters over the load phase: how many transactions and row writes the pipeline
// cost per event, and the subtransaction SLRU, which is where a batch with more savepoints than
// a backend can cache (64) shows up as extra work for every other session.
import { Client } from 'pg';

type Counters = Record<string, number>;

const QUERIES: Record<string, string> = {
  database: `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_fetched, blks_read,
                    blks_hit
               FROM pg_stat_database WHERE datname = current_database()`,
  referrals: `SELECT coalesce(sum(n_tup_ins), 0) AS inserted, coalesce(sum(n_tup_upd), 0) AS updated,
                     coalesce(sum(n_tup_hot_upd), 0) AS hot_updated, coalesce(sum(seq_scan), 0) AS seq_scans
                FROM pg_stat_user_tables WHERE schemaname = 'referrals'`,
  subtransactionSlru: `SELECT blks_zeroed, blks_hit, blks_read, blks_written
                         FROM pg_stat_slru WHERE name ILIKE 'subtrans%'`,
};

async function read(client: Client): Promise<Record<string, Counters>> {
  // Statistics are cached per transaction; a fresh snapshot each time.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const out: Record<string, Counters> = {};
  for (const [name, sql] of Object.entries(QUERIES)) {
    const { rows } = await client.query<Record<string, string | number>>(sql);
    out[name] = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
  }
  return out;
}

export class DbCounters {
  private before?: Record<string, Counters>;

  constructor(private readonly adminUrl: string) {}

  async start(): Promise<void> {
    this.before = await this.withClient(read);
  }

  /** Each counter's increase since start(), and per applied event where that reads well. */
  async finish(applied: number): Promise<Record<string, Counters>> {
    const after = await this.withClient(read);
    const delta: Record<string, Counters> = {};
    for (const [group, counters] of Object.entries(after)) {
      delta[group] = Object.fromEntries(
        Object.entries(counters).map(([k, v]) => [k, v - (this.before?.[group]?.[k] ?? 0)]),
      );
    }
    const per = (n: number | undefined): number =>
      applied > 0 && n !== undefined ? Math.round((n / applied) * 1000) / 1000 : 0;
    delta.perEvent = {
      commits: per(delta.database?.xact_commit),
      rowsInserted: per(delta.referrals?.inserted),
      rowsUpdated: per(delta.referrals?.updated),
      subtransSlruReads: per(delta.subtransactionSlru?.blks_read),
    };
    return delta;
  }

  private async withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.adminUrl, application_name: 'bench-stats' });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}
