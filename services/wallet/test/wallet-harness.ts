import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, RewardKind, Topics } from '@rewards/contracts';
import { loadConfig, ManualClock } from '@rewards/service-kit';
import {
  callerHeaders,
  eventually,
  KafkaProbe,
  migrate,
  ProbedMessage,
  rewardUnlockedEvent,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
} from '@rewards/testing';
import request from 'supertest';
import { DataSource, EntityManager } from 'typeorm';
import { AppModule } from '../src/app.module';
import { WalletConfig } from '../src/config/wallet.config';
import { walletDataSource } from '../src/db/data-source';
import { checkLedgerInvariants } from '../src/ledger/check-invariants';
import { PostedTransaction } from '../src/ledger/post-transaction';
import { SpendCredit } from '../src/spend/spend-credit.usecase';
import { mapWalletError } from '../src/wallet-error';
import { WalletBalanceView } from '../src/wallet/wallet-balance.query';
import { WalletHistoryPage } from '../src/wallet/wallet-history.query';
import { StatementLog } from './statement-log';

export const UNLOCKED_AT = '2026-03-01T10:00:00.000Z';
const VOIDED_AT = '2026-03-02T10:00:00.000Z';

export function unlocked(
  rewardId: string,
  beneficiaryId: string,
  amountCents: number,
  kind: RewardKind = 'student_referral_credit',
  dates: { unlockedAt: string; expiresAt: string } = {
    unlockedAt: UNLOCKED_AT,
    expiresAt: '2026-09-01T10:00:00.000Z',
  },
): EventEnvelope<object> {
  return rewardUnlockedEvent({
    rewardId,
    beneficiaryId,
    amountCents,
    kind,
    unlockedAt: new Date(dates.unlockedAt),
    expiresAt: new Date(dates.expiresAt),
  });
}

export function voided(rewardId: string, beneficiaryId: string): EventEnvelope<object> {
  return createEnvelope({
    type: Topics.RewardVoided,
    version: 1,
    producer: 'referrals',
    key: rewardId,
    occurredAt: new Date(VOIDED_AT),
    payload: { rewardId, beneficiaryId, reason: 'REFUNDED', voidedAt: VOIDED_AT },
  });
}

/** Gives the relay and consumer time to do what they should not (publish twice, apply twice). */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** The wallet running against the run's Postgres and broker, and what tests do with it. */
export class WalletHarness {
  // The expiry job runs when a test says so (runOnce), at the time the test set on the clock.
  readonly config = loadConfig(WalletConfig, {
    ...serviceTestEnv('wallet'),
    CREDIT_EXPIRY_INTERVAL_MS: String(3600_000),
  });
  readonly clock = new ManualClock(new Date('2026-03-01T00:00:00.000Z'));
  private service?: RunningServiceApp;
  private probe?: KafkaProbe;
  private log?: StatementLog;

  /** Starts the wallet; `logStatements` records what it sends to its database from then on. */
  async start(watch: string[], { logStatements = false } = {}): Promise<void> {
    await migrate(walletDataSource(this.config.DATABASE_URL));
    this.service = await startServiceApp(
      AppModule.forRoot(this.config, { clock: this.clock }),
      mapWalletError,
    );
    if (logStatements) this.log = new StatementLog(this.dataSource);
    this.probe = new KafkaProbe();
    await this.probe.watch(watch);
  }

  async stop(): Promise<void> {
    this.log?.restore();
    await this.probe?.close();
    await this.service?.close();
  }

  /** The statements the wallet sent, for a harness started with logStatements. */
  get statements(): StatementLog {
    if (!this.log) throw new Error('wallet harness started without logStatements');
    return this.log;
  }

  get url(): string {
    return this.running().url;
  }

  get dataSource(): DataSource {
    return this.running().app.get(DataSource);
  }

  /** A provider of the running app (a consumer, a job), to drive it directly. */
  get<T>(type: new (...args: never[]) => T): T {
    return this.running().app.get(type);
  }

  /**
   * Runs `first` in a transaction and keeps it open, its locks held, until `commit` is called
   * (or `commitOnceWaited(n)`, once n sessions wait for a lock): what starts meanwhile does not
   * see what `first` wrote.
   */
  async holdOpen(
    first: (tx: EntityManager) => Promise<unknown>,
  ): Promise<{ commit: () => Promise<void>; commitOnceWaited: (n: number) => Promise<void> }> {
    let applied = (): void => undefined;
    const firstApplied = new Promise<void>((resolve) => (applied = resolve));
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const open = this.dataSource.transaction(async (tx) => {
      await first(tx);
      applied();
      await gate;
    });
    await firstApplied;
    const commit = async () => {
      release();
      await open;
    };
    return {
      commit,
      commitOnceWaited: async (waiters: number) => {
        await this.lockWaitersReach(waiters);
        await commit();
      },
    };
  }

  /**
   * Runs `first` in a transaction and keeps it open while `second` starts in another one; returns
   * whether `second` had finished before `first` committed (false: it waited on a lock).
   */
  async interleave(
    first: (tx: EntityManager) => Promise<unknown>,
    second: (tx: EntityManager) => Promise<unknown>,
  ): Promise<{ secondFinishedFirst: boolean }> {
    const a = await this.holdOpen(first);
    let secondDone = false;
    const b = this.dataSource.transaction(second).finally(() => (secondDone = true));
    await settle();
    const secondFinishedFirst = secondDone;
    await Promise.all([a.commit(), b]);
    return { secondFinishedFirst };
  }

  /**
   * Runs `meanwhile` while a transaction of the test's own holds the rows `lockSql` locks, and
   * commits it once `meanwhile` is done, failed or not.
   */
  async whileLocked<T>(
    lockSql: string,
    params: unknown[],
    meanwhile: () => Promise<T>,
  ): Promise<T> {
    const blocker = await this.holdOpen((tx) => tx.query(lockSql, params));
    try {
      return await meanwhile();
    } finally {
      await blocker.commit();
    }
  }

  /** What the user owes (positive), from their debt account. */
  async debt(userId: string): Promise<number> {
    const rows = await this.dataSource.query<Array<{ owed: string }>>(
      `SELECT -coalesce(sum(p.amount_cents), 0) AS owed
         FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
        WHERE a.owner_id = $1 AND a.kind = 'user_debt'`,
      [userId],
    );
    return Number(rows[0]?.owed ?? 0);
  }

  /** Produces with the envelope's key unless told otherwise (same key: same partition, in order). */
  send(event: EventEnvelope<object>, key = event.key): Promise<void> {
    return this.kafka().produce(event.type, key, JSON.stringify(event));
  }

  /** Produces the events of one topic in one request to one partition: one batch, in order. */
  sendTogether(events: Array<EventEnvelope<object>>, partition: number): Promise<void> {
    return this.kafka().produceBatch(
      events[0].type,
      events.map((event) => ({ key: event.key, value: JSON.stringify(event), partition })),
    );
  }

  find(topic: string, predicate: (value: { id?: string }) => boolean): ProbedMessage[] {
    return this.kafka().find(topic, predicate);
  }

  /** Messages on a wallet topic caused by the given source (reward id). */
  published(topic: string, sourceId: string): ProbedMessage[] {
    return this.kafka().find(
      topic,
      (v: { payload?: { sourceId?: string } }) => v.payload?.sourceId === sourceId,
    );
  }

  async wallet(userId: string): Promise<WalletBalanceView> {
    const res = await request(this.url)
      .get('/wallet/me')
      .set(callerHeaders('wallet', userId, 'student'))
      .expect(200);
    return res.body as WalletBalanceView;
  }

  async history(userId: string, query: Record<string, string> = {}): Promise<WalletHistoryPage> {
    const res = await request(this.url)
      .get('/wallet/me/history')
      .query(query)
      .set(callerHeaders('wallet', userId, 'student'))
      .expect(200);
    return res.body as WalletHistoryPage;
  }

  async balance(userId: string): Promise<number> {
    const { balances } = await this.wallet(userId);
    return balances.find((b) => b.currency === 'USD')?.availableCents ?? 0;
  }

  /** A new student whose wallet holds `cents` of unlocked referral credit. */
  studentWithCredit(cents: number): Promise<string> {
    return this.userWithUnlocked('student_referral_credit', cents);
  }

  /** A new instructor whose wallet holds `cents` of fee rebate. */
  instructorWithRebate(cents: number): Promise<string> {
    return this.userWithUnlocked('fee_rebate', cents);
  }

  /** Expects the ledger's invariants to hold now. */
  async invariantsHold(): Promise<void> {
    expect((await checkLedgerInvariants(this.dataSource, new Date())).ok).toBe(true);
  }

  /** Waits until at least `n` sessions of the wallet's database wait for a lock. */
  async lockWaitersReach(n: number): Promise<void> {
    await eventually(
      async () => {
        const [{ waiting }] = await this.dataSource.query<Array<{ waiting: number }>>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        expect(waiting).toBeGreaterThanOrEqual(n);
      },
      { timeoutMs: 10_000 },
    );
  }

  /** Throws until the wallet's inbox has recorded the message: it was handled. */
  async consumed(messageId: string): Promise<void> {
    const rows = await this.dataSource.query<unknown[]>(
      'SELECT 1 FROM inbox_messages WHERE message_id = $1',
      [messageId],
    );
    if (rows.length !== 1) throw new Error(`message ${messageId} not consumed yet`);
  }

  /** Takes credit out of a wallet through the spend use case, as checkout will. */
  spend(
    ownerId: string,
    amountCents: number,
    reference = `test-spend:${randomUUID()}`,
  ): Promise<PostedTransaction> {
    const spend = this.running().app.get(SpendCredit);
    return this.dataSource.transaction((tx) =>
      spend.execute(tx, { ownerId, amountCents, currency: 'USD', reference, sourceId: 'booking' }),
    );
  }

  private async userWithUnlocked(kind: RewardKind, cents: number): Promise<string> {
    const userId = randomUUID();
    const event = unlocked(randomUUID(), userId, cents, kind);
    await this.send(event);
    await eventually(() => this.consumed(event.id));
    return userId;
  }

  private running(): RunningServiceApp {
    if (!this.service) throw new Error('wallet harness not started');
    return this.service;
  }

  private kafka(): KafkaProbe {
    if (!this.probe) throw new Error('wallet harness not started');
    return this.probe;
  }
}
