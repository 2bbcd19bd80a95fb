import { currentRequestId } from '@rewards/service-kit';
import { DataSource, Logger } from 'typeorm';

/**
 * Counts the SQL statements a service sends while handling HTTP requests (those with a request
 * id), by standing in for its DataSource's logger: what a request costs in round trips.
 */
export class StatementCounter {
  private readonly seen: string[] = [];
  private readonly original: Logger;

  constructor(private readonly dataSource: DataSource) {
    this.original = dataSource.logger;
    const counter: Logger = {
      logQuery: (query, parameters, runner) => {
        if (currentRequestId() !== undefined) this.seen.push(query.replace(/\s+/g, ' ').trim());
        this.original.logQuery(query, parameters, runner);
      },
      logQueryError: (...args) => this.original.logQueryError(...args),
      logQuerySlow: (...args) => this.original.logQuerySlow(...args),
      logSchemaBuild: (...args) => this.original.logSchemaBuild(...args),
      logMigration: (...args) => this.original.logMigration(...args),
      log: (...args) => this.original.log(...args),
    };
    Object.defineProperty(dataSource, 'logger', { value: counter, configurable: true });
  }

  /** The statements counted since the last call. */
  take(): string[] {
    return this.seen.splice(0);
  }

  restore(): void {
    Object.defineProperty(this.dataSource, 'logger', { value: this.original, configurable: true });
  }
}
