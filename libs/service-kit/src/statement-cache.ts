import { createHash } from 'node:crypto';
import { Client, ClientConfig } from 'pg';

/**
 * SQLSTATE 0A000 with this message: a named statement's result columns changed under it (a
 * migration added a column to a `SELECT *` table). Run again, re-prepared, it succeeds.
 */
function isCachedPlanChanged(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === '0A000' &&
    typeof message === 'string' &&
    /cached plan must not change result type/.test(message)
  );
}

type Send = (text: unknown, values?: unknown, callback?: unknown) => unknown;

/** What pg's connection remembers as parsed, so it skips Parse for a known name. */
interface ParsedStatements {
  connection?: { parsedStatements?: Record<string, string> };
}

/**
 * Names a statement's text on one connection. A text is sent unnamed the first time (most run
 * once: migrations, an IN list of a new length), named from its second time on, so the server
 * parses and plans it once per connection instead of on every call. At most `max` names per
 * connection, and twice as many texts remembered as seen once: varying texts cannot grow the
 * server's memory or this process's.
 */
export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seenOnce = new Set<string>();
  /** Makes a re-prepared statement's name new: the old one may still be allocated. */
  private generation = 0;

  constructor(private readonly max: number) {}

  nameFor(text: string): string | undefined {
    const name = this.named.get(text);
    if (name !== undefined) return name;
    if (this.named.size >= this.max) return undefined;
    if (!this.seenOnce.delete(text)) {
      if (this.seenOnce.size >= 2 * this.max) this.seenOnce.clear();
      this.seenOnce.add(text);
      return undefined;
    }
    const hash = createHash('sha1').update(text).digest('hex').slice(0, 24);
    const named = `rw_${hash}_${this.generation}`;
    this.named.set(text, named);
    return named;
  }

  /** Forgets a name whose statement the server can no longer run as prepared. */
  forget(text: string): void {
    this.named.delete(text);
    // Seen before: its next run prepares it again, under a new name.
    this.seenOnce.add(text);
    this.generation++;
  }
}

/**
 * A pg Client that sends repeated parameterized statements as named prepared statements
 * (StatementNames). TypeORM sends every statement unnamed, so Postgres parsed and planned each
 * on every call, which cost more than running them. Given to TypeORM's pool as `extra.Client`.
 *
 * Not for transaction-pooling proxies (PgBouncer in transaction mode): a name prepared on one
 * server connection is unknown on the next; DATABASE_STATEMENT_CACHE_SIZE=0 turns this off.
 */
export function statementCachingClient(maxStatements: number): typeof Client {
  return class StatementCachingClient extends Client {
    private readonly names = new StatementNames(maxStatements);
    private inTransaction = false;
    /** Names to DEALLOCATE once the aborted transaction they failed in has ended. */
    private stale: string[] = [];

    constructor(config?: string | ClientConfig) {
      super(config);
      // Set on the instance: pg's typings overload query() too much to override it as a method.
      this.query = ((text: unknown, values?: unknown, callback?: unknown) =>
        this.send(text, values, callback)) as Client['query'];
    }

    private send(text: unknown, values?: unknown, callback?: unknown): unknown {
      const plain = Client.prototype.query as Send;
      if (typeof text !== 'string' || callback !== undefined) {
        return plain.call(this, text, values, callback);
      }
      if (this.stale.length > 0 && !this.inTransaction) {
        // Before the next statement, not beside the failed one: pg runs one query at a time.
        return this.deallocateStale().then(() => this.send(text, values));
      }
      if (!Array.isArray(values) || values.length === 0) {
        this.trackTransaction(text);
        return plain.call(this, text, values);
      }
      const name = this.names.nameFor(text);
      if (name === undefined) return plain.call(this, text, values);
      return (plain.call(this, { name, text, values }) as Promise<unknown>).catch((err) => {
        if (isCachedPlanChanged(err)) this.forget(text, name);
        throw err;
      });
    }

    /** TypeORM's exact transaction texts: DEALLOCATE fails inside an aborted transaction. */
    private trackTransaction(text: string): void {
      if (text === 'START TRANSACTION' || text === 'BEGIN') this.inTransaction = true;
      if (text === 'COMMIT' || text === 'ROLLBACK') this.inTransaction = false;
    }

    private forget(text: string, name: string): void {
      this.names.forget(text);
      delete (this as ParsedStatements).connection?.parsedStatements?.[name];
      this.stale.push(name);
    }

    private async deallocateStale(): Promise<void> {
      const sql = this.stale.map((name) => `DEALLOCATE "${name}"`).join('; ');
      this.stale = [];
      // Only frees server memory; a failure (the connection is gone) changes nothing.
      const sent = (Client.prototype.query as Send).call(this, sql) as Promise<unknown>;
      await sent.catch(() => undefined);
    }
  };
}
