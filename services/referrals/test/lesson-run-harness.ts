import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import {
  createEnvelope,
  EventEnvelope,
  LessonCompletedV1,
  LessonCompletedV2,
  Topics,
} from '@rewards/contracts';
import {
  BatchHandler,
  DeadLetters,
  InboxConsumer,
  InboxContext,
  IncomingMessage,
  MessageBus,
  OutboxWriter,
  SendAck,
} from '@rewards/messaging';
import { Clock, isTransientInfrastructureError } from '@rewards/service-kit';
import { testAdminUrl } from '@rewards/testing';
import { Client } from 'pg';
import { DataSource, Logger, QueryRunner } from 'typeorm';
import { provisionDatabase } from '../../../tools/local/provision-database';
import { referralsDataSource } from '../src/db/data-source';
import { GrantFeeRebate } from '../src/fee-rebate/grant-fee-rebate.usecase';
import { InstructorProgramConsumers } from '../src/instructor-program/instructor-program.consumers';
import { DecideStudentReward } from '../src/student-program/decide-student-reward.usecase';
import { VoidStudentReward } from '../src/student-program/void-student-reward.usecase';
import { RecordStudentLesson } from '../src/student-program/record-student-lesson.usecase';

/** Every statement sent through the DataSource, with the query runner (connection) it ran on. */
export class StatementLog implements Logger {
  readonly statements: Array<{ sql: string; runner: QueryRunner | undefined }> = [];

  logQuery(sql: string, _parameters?: unknown[], runner?: QueryRunner): void {
    this.statements.push({ sql, runner });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * A database of its own for the referrals schema, so program settings and counters (founding
 * spots, cap counters) are this file's alone while other test files run beside it.
 */
export async function privateReferralsDatabase(log: StatementLog): Promise<{
  dataSource: DataSource;
  drop: () => Promise<void>;
}> {
  const name = `referrals_runs_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: testAdminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(testAdminUrl());
  url.pathname = `/${name}`;
  // The run's roles and passwords (global setup): roles are shared by every database.
  const urls = await provisionDatabase(
    url.toString(),
    ['referrals'],
    (s, kind) => `test-${s}-${kind}-secret`,
  );
  const owner = referralsDataSource(urls.referrals.owner);
  await owner.initialize();
  await owner.runMigrations({ transaction: 'each' });
  await owner.destroy();
  const dataSource = referralsDataSource(urls.referrals.runtime);
  dataSource.setOptions({ logger: log });
  await dataSource.initialize();
  return {
    dataSource,
    drop: async () => {
      await dataSource.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A bus that never reaches Kafka: the test hands the consumer its batches itself. */
class HandBus implements MessageBus {
  handler?: BatchHandler;
  readonly sent: string[] = [];

  send(messages: Array<{ topic: string }>): Promise<SendAck[]> {
    this.sent.push(...messages.map((m) => m.topic));
    return Promise.resolve([]);
  }
  subscribe(_group: string, _topics: string[], handler: BatchHandler) {
    this.handler = handler;
    return { state: () => 'running' as const, stop: () => Promise.resolve() };
  }
  topicOffsets(): never {
    throw new Error('not used');
  }
  committedOffsets(): never {
    throw new Error('not used');
  }
  clusterId(): never {
    throw new Error('not used');
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

export type LessonEvent = EventEnvelope<LessonCompletedV1 | LessonCompletedV2>;

/** How a batch is applied: as one run with its prelude, or redone a savepoint per message. */
export type RunPath = 'prelude' | 'redo';

/**
 * The referrals lesson-completed consumer behind a real InboxConsumer (inbox, prelude, redo with
 * savepoints, dead letters) on a bus the test drives. A `redo` batch ends with a message whose
 * handler fails: the run is rolled back and redone a savepoint per message without its prelude,
 * the way the inbox does after any deterministic failure, and the failing message is
 * dead-lettered.
 */
export class LessonConsumerHarness {
  private readonly bus = new HandBus();
  private readonly failing = new Set<string>();
  readonly groupId = `lesson-runs-${randomUUID()}`;
  readonly deadLetters: DeadLetters;
  preludeCalls = 0;
  private handled = 0;

  private constructor(
    readonly dataSource: DataSource,
    readonly consumers: InstructorProgramConsumers,
  ) {
    this.deadLetters = new DeadLetters(dataSource, this.bus, this.groupId);
    const inbox = new InboxConsumer(dataSource, this.bus, this.deadLetters, {
      groupId: this.groupId,
      maxAttempts: 1,
      retryBaseMs: 1,
      retryMaxMs: 10,
      concurrency: 1,
      maxBytesPerPartition: 1_000_000,
      log: () => undefined,
      isTransient: isTransientInfrastructureError,
    });
    inbox.beforeRun(Topics.LessonCompleted, async (events, tx) => {
      this.preludeCalls += 1;
      await consumers.lessonsCompleted(events, new InboxContext([tx, undefined]));
    });
    inbox.on(Topics.LessonCompleted, async (event, tx) => {
      this.handled += 1;
      if (this.failing.has(event.id)) throw new Error('a handler failed: the run is redone');
      await consumers.lessonCompleted(event, new InboxContext([tx, event]));
    });
    inbox.start();
  }

  static async create(dataSource: DataSource, clock: Clock): Promise<LessonConsumerHarness> {
    const ref = await Test.createTestingModule({
      controllers: [InstructorProgramConsumers],
      providers: [
        RecordStudentLesson,
        DecideStudentReward,
        VoidStudentReward,
        GrantFeeRebate,
        { provide: OutboxWriter, useValue: new OutboxWriter('referrals') },
        { provide: Clock, useValue: clock },
      ],
    }).compile();
    return new LessonConsumerHarness(dataSource, ref.get(InstructorProgramConsumers));
  }

  /**
   * Applies the events as one batch of one partition, the way the inbox gets a fetch; with
   * `revokeAfter`, the partition is taken away once that many handlers ran. Answers how many
   * messages the inbox marked processed (their offsets would be committed).
   */
  async deliver(
    events: LessonEvent[],
    path: RunPath = 'prelude',
    { revokeAfter }: { revokeAfter?: number } = {},
  ): Promise<number> {
    const batch = [...events];
    if (path === 'redo') {
      const breaker = createEnvelope({
        type: Topics.LessonCompleted,
        version: 2,
        producer: 'test',
        key: randomUUID(),
        occurredAt: new Date(),
        payload: {
          bookingId: randomUUID(),
          studentId: randomUUID(),
          instructorId: randomUUID(),
          price: { amountCents: 8000, currency: 'USD' },
          completedBy: 'instructor',
          startsAt: new Date(Date.now() - 3_600_000).toISOString(),
          completedAt: new Date().toISOString(),
        },
      });
      this.failing.add(breaker.id);
      batch.push(breaker as LessonEvent);
    }
    const messages: IncomingMessage[] = batch.map((e, offset) => ({
      topic: Topics.LessonCompleted,
      partition: 0,
      offset: String(offset),
      key: e.key,
      value: Buffer.from(JSON.stringify(e)),
      headers: {},
    }));
    const processed: IncomingMessage[] = [];
    const handledBefore = this.handled;
    await this.bus.handler!(
      { topic: Topics.LessonCompleted, partition: 0, messages },
      {
        heartbeat: () => Promise.resolve(),
        isActive: () => revokeAfter === undefined || this.handled - handledBefore < revokeAfter,
        markProcessed: (m) => processed.push(m),
      },
    );
    if (revokeAfter === undefined && processed.length !== messages.length) {
      throw new Error(`inbox processed ${processed.length} of ${messages.length} messages`);
    }
    return processed.length;
  }
}
