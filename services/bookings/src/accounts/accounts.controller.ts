import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { Caller, CallerIdentity, InternalCallers } from '@rewards/service-kit';
import { BookingsError } from '../bookings-error';
import { Account } from './account.entity';
import { AccountsService } from './accounts.service';
import { RegisterAccountDto } from './dto/register-account.dto';
import { SetPayoutAccountDto } from './dto/set-payout-account.dto';

export interface AccountView {
  id: string;
  role: string;
  email: string;
  displayName: string;
  referralCode: string | null;
  payoutAccountConnected: boolean;
  live: boolean;
  liveAt: string | null;
  createdAt: string;
}

function view(a: Account): AccountView {
  return {
    id: a.id,
    role: a.role,
    email: a.email,
    displayName: a.displayName,
    referralCode: a.referralCode,
    payoutAccountConnected: a.stripeAccountId !== null,
    live: a.liveAt !== null,
    liveAt: a.liveAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  async register(
    @Caller() caller: CallerIdentity,
    @Body() dto: RegisterAccountDto,
  ): Promise<AccountView> {
    return view(await this.accounts.register(caller, dto));
  }

  @Get('me')
  async me(@Caller() caller: CallerIdentity): Promise<AccountView> {
    return view(await this.accounts.get(caller.userId));
  }

  @Put('me/payout-account')
  async setPayoutAccount(
    @Caller(['instructor']) caller: CallerIdentity,
    @Body() dto: SetPayoutAccountDto,
  ): Promise<AccountView> {
    return view(await this.accounts.setPayoutAccount(caller, dto.stripeAccountId));
  }

  @Post('me/go-live')
  @HttpCode(200)
  async goLive(@Caller(['instructor']) caller: CallerIdentity): Promise<AccountView> {
    return view(await this.accounts.goLive(caller));
  }
}

/** Service-to-service reads; never routed by the gateway, answered to payouts alone. */
@Controller('internal/accounts')
@InternalCallers('payouts')
export class InternalAccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /** Where payouts sends an instructor's cash. */
  @Get(':id/payout-destination')
  async payoutDestination(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<{ userId: string; stripeAccountId: string }> {
    const account = await this.accounts.get(id);
    if (!account.stripeAccountId) {
      throw new BookingsError('PAYOUT_ACCOUNT_REQUIRED', 'this user has no payout account');
    }
    return { userId: account.id, stripeAccountId: account.stripeAccountId };
  }
}
