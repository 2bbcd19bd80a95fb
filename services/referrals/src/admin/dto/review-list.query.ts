import { IsKeysetCursor, toInt } from '@rewards/service-kit';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { StudentReward } from '../../student-program/student-reward.entity';

/** `GET /admin/referrals/review?status=&userId=&limit=&cursor=`, oldest decision first. */
export class ReviewListQuery {
  @IsOptional()
  @IsIn(['held', 'review', 'unlocked', 'voided', 'refused'])
  status?: StudentReward['status'];

  /** Only the rewards this user earned or was the friend of. */
  @IsOptional()
  @IsUUID()
  userId?: string;

  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsKeysetCursor()
  cursor?: string;
}
