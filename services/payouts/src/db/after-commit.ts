import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/**
 * Runs work once the transaction it was scheduled in has committed, and never when it rolls
 * back. Inbox handlers get a transaction but no commit hook, and work that reads what they wrote
 * (or calls Stripe) must not start before the commit makes it visible.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface, OnModuleInit {
  private readonly logger = new Logger(AfterCommit.name);
  private readonly pending = new WeakMap<QueryRunner, Array<() => void>>();

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  /** Calls `work` after `tx` commits; at once when `tx` is not inside a transaction. */
  schedule(tx: EntityManager, work: () => void): void {
    const runner = tx.queryRunner;
    if (!runner?.isTransactionActive) {
      work();
      return;
    }
    this.pending.set(runner, [...(this.pending.get(runner) ?? []), work]);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // Still active: a savepoint was released, the outer transaction has not committed yet.
    if (event.queryRunner.isTransactionActive) return;
    const work = this.pending.get(event.queryRunner) ?? [];
    this.pending.delete(event.queryRunner);
    for (const run of work) {
      try {
        run();
      } catch (err) {
        this.logger.error({ message: 'after-commit work failed', err: String(err) });
      }
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
