// Where Postgres spends its time during a benchmark phase: pg_stat_statements (loaded only when
// the run asks for it) reset before the phase and read after it, per statement shape, planning
// and execution apart.
import { Client } from 'pg';

export interface StatementCost {
  /** The normalised statement, shortened. */
  query: string;
  calls: number;
  /** Per call, in microseconds. */
  planUs: number;
  execUs: number;
  /** The share of all planning + execution time in the phase, in percent. */
  sharePercent: number;
}

export interface StatementStats {
  calls: number;
  /** How many times a statement was planned: a prepared statement's generic plan is reused. */
  plans: number;
  planMs: number;
  execMs: number;
  top: StatementCost[];
}

async function withAdmin<T>(adminUrl: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function resetStatementStats(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

interface Row {
  query: string;
  calls: string;
  plans: string;
  total_plan_time: number;
  total_exec_time: number;
}

export async function readStatementStats(adminUrl: string, limit = 25): Promise<StatementStats> {
  const rows = await withAdmin(adminUrl, async (client) => {
    const result = await client.query<Row>(
      `SELECT query, calls, plans, total_plan_time, total_exec_time FROM pg_stat_statements
        WHERE query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_plan_time + total_exec_time DESC`,
    );
    return result.rows;
  });
  const planMs = rows.reduce((sum, r) => sum + r.total_plan_time, 0);
  const execMs = rows.reduce((sum, r) => sum + r.total_exec_time, 0);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    calls: rows.reduce((sum, r) => sum + Number(r.calls), 0),
    plans: rows.reduce((sum, r) => sum + Number(r.plans), 0),
    planMs: round(planMs),
    execMs: round(execMs),
    top: rows.slice(0, limit).map((r) => {
      const calls = Number(r.calls);
      return {
        query: r.query.replace(/\s+/g, ' ').slice(0, 200),
        calls,
        planUs: round((r.total_plan_time * 1000) / calls),
        execUs: round((r.total_exec_time * 1000) / calls),
        sharePercent: round(((r.total_plan_time + r.total_exec_time) * 100) / (planMs + execMs)),
      };
    }),
  };
}
