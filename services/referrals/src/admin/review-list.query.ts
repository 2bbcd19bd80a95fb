import { Injectable } from '@nestjs/common';
import { decodeKeysetCursor, keysetPage } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { rewardView, RewardView } from '../student-program/referrer-view.query';
import { StudentReward } from '../student-program/student-reward.entity';
import { ReviewListQuery } from './dto/review-list.query';

/** The old unpaged list returned up to 100; a first page keeps that for existing callers. */
const DEFAULT_REVIEW_PAGE_SIZE = 100;

interface LinkedAccount {
  userId: string;
  /** What links it to the referee: a shared device hash, IP hash, payment card, or several. */
  shared: Array<'device' | 'ip' | 'payment'>;
  banned: boolean;
}

export interface ReviewItem extends RewardView {
  referrerId: string;
  refereeId: string;
  reviewExpiresAt: string | null;
  /** The referee's cluster: accounts sharing a device or IP hash or a payment card with them. */
  cluster: LinkedAccount[];
  decisions: Array<{ action: string; actor: string; reason: string; decidedAt: string }>;
}

export interface ReviewPage {
  items: ReviewItem[];
  /** Pass as `cursor` for the next page, with the same filters; null on the last page. */
  nextCursor: string | null;
}

/** What an admin sees of rewards (by default the ones waiting for review), with the reasons. */
@Injectable()
export class ReviewList {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: ReviewListQuery): Promise<ReviewPage> {
    const cursor = query.cursor === undefined ? undefined : decodeKeysetCursor(query.cursor);
    const limit = query.limit ?? DEFAULT_REVIEW_PAGE_SIZE;
    const q = this.dataSource.manager
      .createQueryBuilder(StudentReward, 'r')
      .where('r.status = :status', { status: query.status ?? 'review' })
      .orderBy('r.decidedAt', 'ASC')
      .addOrderBy('r.rewardId', 'ASC')
      .limit(limit + 1);
    if (query.userId !== undefined) {
      q.andWhere('(r.refereeId = :userId OR r.referrerId = :userId)', { userId: query.userId });
    }
    if (cursor) {
      q.andWhere('(r.decidedAt, r.rewardId) > (:cursorAt, :cursorId)', {
        cursorAt: cursor.at,
        cursorId: cursor.id,
      });
    }
    // Keyset on the last row's (decided_at, reward_id): a decision taken while the admin pages
    // moves a reward out of the list without shifting the pages after it.
    const page = keysetPage(await q.getMany(), limit, (r) => ({ at: r.decidedAt, id: r.rewardId }));
    return {
      items: await Promise.all(page.rows.map((r) => this.item(r))),
      nextCursor: page.nextCursor,
    };
  }

  async item(reward: StudentReward): Promise<ReviewItem> {
    const cluster = await this.dataSource.query<
      Array<{
        user_id: string;
        same_device: boolean;
        same_ip: boolean;
        same_card: boolean;
        banned: boolean;
      }>
    >(
      `WITH by_hash AS (
         SELECT u.user_id,
                (me.device_hash IS NOT NULL AND u.device_hash = me.device_hash) AS same_device,
                (me.ip_hash IS NOT NULL AND u.ip_hash = me.ip_hash) AS same_ip
           FROM referral_users u, referral_users me
          WHERE me.user_id = $1 AND u.user_id <> me.user_id
            AND ((me.device_hash IS NOT NULL AND u.device_hash = me.device_hash)
              OR (me.ip_hash IS NOT NULL AND u.ip_hash = me.ip_hash))
       ), by_card AS (
         SELECT DISTINCT theirs.user_id
           FROM payment_cards mine
           JOIN payment_cards theirs ON theirs.fingerprint_hash = mine.fingerprint_hash
          WHERE mine.user_id = $1 AND theirs.user_id <> $1
       )
       SELECT linked.user_id,
              COALESCE(h.same_device, false) AS same_device,
              COALESCE(h.same_ip, false) AS same_ip,
              c.user_id IS NOT NULL AS same_card,
              COALESCE(r.banned_at IS NOT NULL, false) AS banned
         FROM (SELECT user_id FROM by_hash UNION SELECT user_id FROM by_card) linked
         LEFT JOIN by_hash h ON h.user_id = linked.user_id
         LEFT JOIN by_card c ON c.user_id = linked.user_id
         LEFT JOIN referral_users r ON r.user_id = linked.user_id
        ORDER BY linked.user_id LIMIT 50`,
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
          ...(c.same_card ? ['payment' as const] : []),
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
