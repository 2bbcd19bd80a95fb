import { toInt } from '@rewards/service-kit';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** `GET /wallet/me/history?limit=&cursor=`: a page of entries, newest first. */
export class WalletHistoryQuery {
  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor must be a nextCursor from a previous page' })
  cursor?: string;
}
