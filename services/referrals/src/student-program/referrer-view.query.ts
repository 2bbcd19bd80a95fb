import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { explainReward, explainWaiting } from './reward-explanations';
import { StudentReward, StudentRewardStatus } from './student-reward.entity';

export interface RewardView {
  rewardId: string;
  status: StudentRewardStatus;
  reason: string;
  message: string;
  amount: { amountCents: number; currency: string };
  decidedAt: string;
  holdUntil: string | null;
  unlockedAt: string | null;
  voidedAt: string | null;
  clawback: boolean;
}

export interface StudentProgramView {
  clicks: number;
  signups: number;
  /** Friends who signed up and have no reward decided yet, with what is awaited. */
  waiting: Array<{ since: string; message: string }>;
  rewards: RewardView[];
  totals: Record<StudentRewardStatus, { count: number; amountCents: number }>;
}

export function rewardView(r: StudentReward): RewardView {
  return {
    rewardId: r.rewardId,
    status: r.status,
    reason: r.reason,
    message: explainReward(r),
    amount: { amountCents: r.amountCents, currency: r.currency },
    decidedAt: r.decidedAt.toISOString(),
    holdUntil: r.holdUntil?.toISOString() ?? null,
    unlockedAt: r.unlockedAt?.toISOString() ?? null,
    voidedAt: r.voidedAt?.toISOString() ?? null,
    clawback: r.clawback,
  };
}

/** The student program as one referrer sees it: clicks, sign-ups, rewards with reasons. */
@Injectable()
export class ReferrerView {
  constructor(private readonly dataSource: DataSource) {}

  async forReferrer(referrerId: string, code: string): Promise<StudentProgramView> {
    const manager = this.dataSource.manager;
    const [{ clicks }] = await manager.query<Array<{ clicks: string }>>(
      'SELECT count(*) AS clicks FROM clicks WHERE code = $1',
      [code],
    );
    const friends = await manager.query<
      Array<{
        referee_id: string;
        decided_at: Date;
        email_verified: boolean | null;
        phone_verified: boolean | null;
        rewarded: boolean;
      }>
    >(
      `SELECT a.referee_id, a.decided_at, u.email_verified, u.phone_verified,
              EXISTS (SELECT 1 FROM student_rewards r WHERE r.referee_id = a.referee_id) AS rewarded
         FROM attributions a LEFT JOIN referral_users u ON u.user_id = a.referee_id
        WHERE a.referrer_id = $1 AND a.outcome = 'attributed' AND a.program = 'student'
        ORDER BY a.decided_at DESC LIMIT 500`,
      [referrerId],
    );
    const rewards = await manager.find(StudentReward, {
      where: { referrerId },
      order: { decidedAt: 'DESC' },
      take: 500,
    });
    const totals = Object.fromEntries(
      (['held', 'review', 'unlocked', 'voided', 'refused'] as const).map((s) => [
        s,
        { count: 0, amountCents: 0 },
      ]),
    ) as StudentProgramView['totals'];
    for (const r of rewards) {
      totals[r.status].count += 1;
      totals[r.status].amountCents += r.amountCents;
    }
    return {
      clicks: Number(clicks),
      signups: friends.length,
      waiting: friends
        .filter((f) => !f.rewarded)
        .map((f) => ({
          since: f.decided_at.toISOString(),
          message: explainWaiting({
            emailVerified: f.email_verified === true,
            phoneVerified: f.phone_verified === true,
          }),
        })),
      rewards: rewards.map(rewardView),
      totals,
    };
  }
}
