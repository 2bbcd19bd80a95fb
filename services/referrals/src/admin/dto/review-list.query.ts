import { KeysetPageQuery } from '@rewards/service-kit';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { StudentReward } from '../../student-program/student-reward.entity';

/** `GET /admin/referrals/review?status=&userId=&limit=&cursor=`, oldest decision first. */
export class ReviewListQuery extends KeysetPageQuery {
  @IsOptional()
  @IsIn(['held', 'review', 'unlocked', 'voided', 'refused'])
  status?: StudentReward['status'];

  /** Only the rewards this user earned or was the friend of. */
  @IsOptional()
  @IsUUID()
  userId?: string;
}
