import { Controller, Get, Query } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { WalletHistoryQuery } from './dto/wallet-history.query';
import { WalletBalance, WalletBalanceView } from './wallet-balance.query';
import { WalletHistory, WalletHistoryPage } from './wallet-history.query';

/** The caller's own wallet only: the owner is always the caller the gateway vouched for. */
@Controller('wallet')
export class WalletController {
  constructor(
    private readonly balance: WalletBalance,
    private readonly history: WalletHistory,
  ) {}

  @Get('me')
  me(@Caller() caller: CallerIdentity): Promise<WalletBalanceView> {
    return this.balance.forOwner(caller.userId);
  }

  @Get('me/history')
  myHistory(
    @Caller() caller: CallerIdentity,
    @Query() query: WalletHistoryQuery,
  ): Promise<WalletHistoryPage> {
    return this.history.forOwner(caller.userId, query);
  }
}
