import { IsISO8601, IsOptional } from 'class-validator';

/** `GET /admin/payouts/stats?since=`: counters over everything, or since a time. */
export class PayoutStatsQuery {
  /** Counts payouts requested, and attempts made, at or after this time. */
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}
