import { IsKeysetCursor, toInt } from '@rewards/service-kit';
import { IsIn, IsISO8601, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PAYOUT_STATUSES, PayoutStatus } from '../../payouts/payout.entity';

/** `GET /admin/payouts?status=&beneficiaryId=&from=&to=&limit=&cursor=`, newest request first. */
export class ListPayoutsQuery {
  @IsOptional()
  @IsIn(PAYOUT_STATUSES)
  status?: PayoutStatus;

  /** The referrer the payout pays. */
  @IsOptional()
  @IsUUID()
  beneficiaryId?: string;

  /** Requested at or after this time. */
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** Requested before this time. */
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

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
