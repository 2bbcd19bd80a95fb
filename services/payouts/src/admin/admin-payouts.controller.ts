import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { payoutView, PayoutView } from '../payouts/payouts.controller';
import { ListPayoutsQuery } from './dto/list-payouts.query';
import { PayoutStatsQuery } from './dto/payout-stats.query';
import { ListPayouts, PayoutsPage } from './list-payouts.query';
import { PayoutStats, PayoutStatsView } from './payout-stats.query';
import { RetryFailedPayout } from './retry-failed-payout.usecase';

/** Operators' view of payouts: the list, counters, and a manual retry of a failed one. */
@Controller('admin/payouts')
export class AdminPayoutsController {
  constructor(
    private readonly list: ListPayouts,
    private readonly stats: PayoutStats,
    private readonly retryFailed: RetryFailedPayout,
  ) {}

  @Get()
  payouts(
    @Caller(['admin']) _admin: CallerIdentity,
    @Query() query: ListPayoutsQuery,
  ): Promise<PayoutsPage> {
    return this.list.execute(query);
  }

  @Get('stats')
  counters(
    @Caller(['admin']) _admin: CallerIdentity,
    @Query() query: PayoutStatsQuery,
  ): Promise<PayoutStatsView> {
    return this.stats.execute(query);
  }

  @Post(':id/retry')
  @HttpCode(200)
  async retry(
    @Caller(['admin']) admin: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<PayoutView> {
    return payoutView(await this.retryFailed.execute(id, admin));
  }
}
