import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { Caller, CallerIdentity, PlatformError } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { ReferralsConfig } from '../config/referrals.config';
import { DecisionDto } from './dto/decision.dto';
import { ReviewListQuery } from './dto/review-list.query';
import { ReviewItem, ReviewList, ReviewPage } from './review-list.query';
import { ReviewQueue } from './review-queue.usecase';

/** The admin's review queue: list, approve, void, ban; every decision says who and why. */
@Controller('admin/referrals')
export class ReviewController {
  constructor(
    private readonly list: ReviewList,
    private readonly queue: ReviewQueue,
    private readonly dataSource: DataSource,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
  ) {}

  @Get('review')
  review(
    @Caller(['admin']) _admin: CallerIdentity,
    @Query() query: ReviewListQuery,
  ): Promise<ReviewPage> {
    return this.list.list(query);
  }

  @Post('review/:rewardId/approve')
  @HttpCode(200)
  async approve(
    @Caller(['admin']) admin: CallerIdentity,
    @Param('rewardId', new ParseUUIDPipe()) rewardId: string,
    @Body() dto: DecisionDto,
  ): Promise<ReviewItem> {
    return this.list.item(await this.queue.approve(admin, rewardId, dto.reason));
  }

  @Post('review/:rewardId/void')
  @HttpCode(200)
  async void(
    @Caller(['admin']) admin: CallerIdentity,
    @Param('rewardId', new ParseUUIDPipe()) rewardId: string,
    @Body() dto: DecisionDto,
  ): Promise<ReviewItem> {
    return this.list.item(await this.queue.void(admin, rewardId, dto.reason));
  }

  @Post('users/:userId/ban')
  @HttpCode(200)
  ban(
    @Caller(['admin']) admin: CallerIdentity,
    @Param('userId', new ParseUUIDPipe()) userId: string,
    @Body() dto: DecisionDto,
  ): Promise<{ userId: string; voidedRewards: number }> {
    return this.queue.ban(admin, userId, dto.reason);
  }

  /** Support's view of one user's referral state; not served in production. */
  @Get('users/:userId/debug')
  async debug(
    @Caller(['admin']) _admin: CallerIdentity,
    @Param('userId', new ParseUUIDPipe()) userId: string,
  ) {
    if (this.config.NODE_ENV === 'production') {
      throw new PlatformError('ROUTE_NOT_FOUND', 'no such route');
    }
    const q = <T>(sql: string) => this.dataSource.query<T[]>(sql, [userId]);
    return {
      user: (await q('SELECT * FROM referral_users WHERE user_id = $1'))[0] ?? null,
      code: (await q('SELECT * FROM referral_codes WHERE user_id = $1'))[0] ?? null,
      attribution: (await q('SELECT * FROM attributions WHERE referee_id = $1'))[0] ?? null,
      attributionSource:
        (await q('SELECT * FROM attribution_sources WHERE referee_id = $1'))[0] ?? null,
      lessons: await q('SELECT * FROM student_lessons WHERE student_id = $1 ORDER BY completed_at'),
      rewardsAsReferrer: await q(
        'SELECT * FROM student_rewards WHERE referrer_id = $1 ORDER BY decided_at',
      ),
      rewardsAsReferee: await q('SELECT * FROM student_rewards WHERE referee_id = $1'),
      decisions: await q(
        `SELECT * FROM review_decisions WHERE user_id = $1 OR reward_id IN
           (SELECT reward_id FROM student_rewards WHERE referrer_id = $1 OR referee_id = $1)
         ORDER BY decided_at`,
      ),
    };
  }
}
