import { KeysetPageQuery } from '@rewards/service-kit';
import { IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PAYOUT_STATUSES, PayoutStatus } from '../../payouts/payout.entity';

/** `GET /admin/payouts?status=&beneficiaryId=&from=&to=&limit=&cursor=`, newest request first. */
export class ListPayoutsQuery extends KeysetPageQuery {
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
}
