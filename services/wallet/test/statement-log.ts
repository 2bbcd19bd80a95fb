import { currentRequestId } from '@rewards/service-kit';
import { DataSource, Logger, QueryRunner } from 'typeorm';

interface Logged {
  sql: string;
  parameters: unknown[];
  runner?: QueryRunner;
  requestId?: string;
}

/**
 * Records the SQL statements the wallet sends (BEGIN and COMMIT included), by standing in for its
 * DataSource's logger: what a request or a consumer's run costs in round trips.
 */
export class StatementLog {
  private readonly seen: Logged[] = [];
  private readonly original: Logger;

  constructor(private readonly dataSource: DataSource) {
    this.original = dataSource.logger;
    const log: Logger = {
      logQuery: (query, parameters, runner) => {
        this.seen.push({
          sql: query.replace(/\s+/g, ' ').trim(),
          parameters: parameters ?? [],
          runner,
          requestId: currentRequestId(),
        });
        this.original.logQuery(query, parameters, runner);
      },
      logQueryError: (...args) => {
        this.original.logQueryError(...args);
      },
      logQuerySlow: (...args) => {
        this.original.logQuerySlow(...args);
      },
      logSchemaBuild: (...args) => {
        this.original.logSchemaBuild(...args);
      },
      logMigration: (...args) => {
        this.original.logMigration(...args);
      },
      log: (...args) => {
        this.original.log(...args);
      },
    };
    Object.defineProperty(dataSource, 'logger', { value: log, configurable: true });
  }

  /** The statements HTTP requests sent since the last take. */
  takeRequests(): string[] {
    return this.seen
      .splice(0)
      .filter((s) => s.requestId !== undefined)
      .map((s) => s.sql);
  }

  /** The statements the HTTP requests `action` sent. */
  async requestsOf(action: () => Promise<unknown>): Promise<string[]> {
    this.takeRequests();
    await action();
    return this.takeRequests();
  }

  /**
   * The statements of the transaction (on one connection, BEGIN to COMMIT) in which a statement
   * containing `sql` was sent with `parameter` among its parameters (or in an array parameter).
   */
  transactionWith(sql: string, parameter: string): string[] {
    const at = this.seen.findIndex(
      (s) =>
        s.sql.includes(sql) &&
        s.parameters.some((p) => p === parameter || (Array.isArray(p) && p.includes(parameter))),
    );
    if (at < 0) return [];
    const runner = this.seen[at].runner;
    const mine = this.seen.filter((s) => s.runner === runner);
    const k = mine.indexOf(this.seen[at]);
    const begin = mine.map((s) => s.sql).lastIndexOf('START TRANSACTION', k);
    const end = mine.findIndex((s, i) => i > k && s.sql === 'COMMIT');
    return mine.slice(begin, end + 1).map((s) => s.sql);
  }

  restore(): void {
    Object.defineProperty(this.dataSource, 'logger', { value: this.original, configurable: true });
  }
}
