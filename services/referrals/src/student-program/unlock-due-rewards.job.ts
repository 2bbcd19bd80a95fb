import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter, tryTakeSchemaLock } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { ReferralsConfig } from '../config/referrals.config';
import { readStudentProgramSettings } from './student-program-settings';
import { StudentRewardKind } from './student-reward.entity';
import { expireStaleReviews } from './expire-stale-reviews';
import { VoidStudentReward } from './void-student-reward.usecase';

/** The leader lock (a schema_locks row) that lets one replica run a tick at a time. */
const UNLOCK_LOCK = 'referrals:reward-unlock';
const REWARDS_PER_CHUNK = 200;

export interface UnlockRun {
  /** False when another replica held the tick. */
  ran: boolean;
  unlocked: number;
  reviewsExpired: number;
}

/**
 * Every REWARD_UNLOCK_INTERVAL_MS (15 minutes): releases held rewards whose hold has passed
 * (reward-unlocked, with the credit's expiry 6 months on) and voids reviews left open past
 * their expiry. Each chunk is one transaction holding a row lock of the referrals schema
 * (tryTakeSchemaLock, which no other service's role can take or hold): a replica that cannot
 * take it skips the tick, so a tick runs once across replicas, and the status a chunk writes
 * makes a repeat a no-op.
 */
@Injectable()
export class UnlockDueRewardsJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(UnlockDueRewardsJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly voider: VoidStudentReward,
    private readonly clock: Clock,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.REWARD_UNLOCK_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One tick, now: what the timer runs, and what tests call after moving the clock. */
  async runOnce(): Promise<UnlockRun> {
    const total: UnlockRun = { ran: true, unlocked: 0, reviewsExpired: 0 };
    let first = true;
    for (;;) {
      const chunk = await this.dataSource.transaction(async (tx) => {
        if (!(await tryTakeSchemaLock(tx, UNLOCK_LOCK))) return null;
        const now = this.clock.now();
        const unlocked = await this.unlockDue(tx, now);
        const reviewsExpired = await expireStaleReviews(tx, this.voider, now, REWARDS_PER_CHUNK);
        return { unlocked, reviewsExpired };
      });
      if (chunk === null) return { ...total, ran: !first };
      first = false;
      total.unlocked += chunk.unlocked;
      total.reviewsExpired += chunk.reviewsExpired;
      if (chunk.unlocked > 0 || chunk.reviewsExpired > 0) this.relay.kick();
      if (chunk.unlocked < REWARDS_PER_CHUNK && chunk.reviewsExpired < REWARDS_PER_CHUNK) {
        return total;
      }
    }
  }

  private async unlockDue(tx: EntityManager, now: Date): Promise<number> {
    const due = await tx.query<
      Array<{
        reward_id: string;
        referrer_id: string;
        kind: StudentRewardKind;
        amount_cents: number;
        currency: Currency;
      }>
    >(
      `SELECT reward_id, referrer_id, kind, amount_cents, currency FROM student_rewards
        WHERE status = 'held' AND hold_until <= $1
        ORDER BY hold_until LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, REWARDS_PER_CHUNK],
    );
    if (due.length === 0) return 0;
    const settings = await readStudentProgramSettings(tx);
    const expiresAt = new Date(now.getTime());
    expiresAt.setUTCMonth(expiresAt.getUTCMonth() + settings.creditLifetimeMonths);
    for (const reward of due) {
      await tx.query(
        `UPDATE student_rewards SET status = 'unlocked', reason = 'UNLOCKED', unlocked_at = $2,
           updated_at = $2 WHERE reward_id = $1`,
        [reward.reward_id, now],
      );
      await this.outbox.add(
        tx,
        Topics.RewardUnlocked,
        reward.reward_id,
        {
          rewardId: reward.reward_id,
          beneficiaryId: reward.referrer_id,
          kind: reward.kind,
          amount: { amountCents: reward.amount_cents, currency: reward.currency },
          expiresAt: expiresAt.toISOString(),
          unlockedAt: now.toISOString(),
        },
        { occurredAt: now },
      );
    }
    return due.length;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.runOnce()
      .then((run) => {
        if (run.unlocked + run.reviewsExpired > 0) {
          this.logger.log({ message: 'student rewards tick', ...run });
        }
      })
      .catch((err: unknown) =>
        this.logger.error({ message: 'student rewards tick failed', err: String(err) }),
      )
      .finally(() => (this.running = undefined));
  }
}
