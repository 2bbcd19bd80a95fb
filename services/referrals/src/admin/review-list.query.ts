import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rewardView, RewardView } from '../student-program/referrer-view.query';
import { StudentReward } from '../student-program/student-reward.entity';

interface LinkedAccount {
  userId: string;
  /** What links it to the referee: a shared device hash, IP hash, or both. */
  shared: Array<'device' | 'ip'>;
  banned: boolean;
}

export interface ReviewItem extends RewardView {
  referrerId: string;
  refereeId: string;
  reviewExpiresAt: string | null;
  /** The referee's cluster: accounts sharing a device or IP hash with them. */
  cluster: LinkedAccount[];
  decisions: Array<{ action: string; actor: string; reason: string; decidedAt: string }>;
}

/** What an admin sees of rewards (by default the ones waiting for review), with the reasons. */
@Injectable()
export class ReviewList {
  constructor(private readonly dataSource: DataSource) {}

  async list(status: StudentReward['status'] = 'review', limit = 100): Promise<ReviewItem[]> {
    const rewards = await this.dataSource.manager.find(StudentReward, {
      where: { status },
      order: { decidedAt: 'ASC' },
      take: limit,
    });
    return Promise.all(rewards.map((r) => this.item(r)));
  }

  async item(reward: StudentReward): Promise<ReviewItem> {
    const cluster = await this.dataSource.query<
      Array<{ user_id: string; same_device: boolean; same_ip: boolean; banned: boolean }>
    >(
      `SELECT u.user_id,
              (me.device_hash IS NOT NULL AND u.device_hash = me.device_hash) AS same_device,
              (me.ip_hash IS NOT NULL AND u.ip_hash = me.ip_hash) AS same_ip,
              u.banned_at IS NOT NULL AS banned
         FROM referral_users u, referral_users me
        WHERE me.user_id = $1 AND u.user_id <> me.user_id
          AND ((me.device_hash IS NOT NULL AND u.device_hash = me.device_hash)
            OR (me.ip_hash IS NOT NULL AND u.ip_hash = me.ip_hash))
        ORDER BY u.user_id LIMIT 50`,
      [reward.refereeId],
    );
    const decisions = await this.dataSource.query<
      Array<{ action: string; actor: string; reason: string; decided_at: Date }>
    >(
      `SELECT action, actor, reason, decided_at FROM review_decisions
        WHERE reward_id = $1 ORDER BY decided_at`,
      [reward.rewardId],
    );
    return {
      ...rewardView(reward),
      referrerId: reward.referrerId,
      refereeId: reward.refereeId,
      reviewExpiresAt: reward.reviewExpiresAt?.toISOString() ?? null,
      cluster: cluster.map((c) => ({
        userId: c.user_id,
        shared: [
          ...(c.same_device ? ['device' as const] : []),
          ...(c.same_ip ? ['ip' as const] : []),
        ],
        banned: c.banned,
      })),
      decisions: decisions.map((d) => ({
        action: d.action,
        actor: d.actor,
        reason: d.reason,
        decidedAt: d.decided_at.toISOString(),
      })),
    };
  }
}
