import { PageQuery } from '@rewards/service-kit';
import { IsOptional, Matches } from 'class-validator';

/** `GET /wallet/me/history?limit=&cursor=`: a page of entries, newest first. */
export class WalletHistoryQuery extends PageQuery {
  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor must be a nextCursor from a previous page' })
  cursor?: string;
}
