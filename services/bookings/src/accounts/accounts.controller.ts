import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
} from '@nestjs/common';
import { Caller, CallerIdentity, InternalCallers } from '@rewards/service-kit';
import type { IncomingHttpHeaders } from 'node:http';
import { BookingsError } from '../bookings-error';
import { Account } from './account.entity';
import { BookingsConfig } from '../config/bookings.config';
import { AccountsService } from './accounts.service';
import { AttributionPreview, AttributionPreviewClient } from './attribution-preview.client';
import { signupSignals } from './signup-signals';
import { RegisterAccountDto } from './dto/register-account.dto';
import { SetPayoutAccountDto } from './dto/set-payout-account.dto';

export interface AccountView {
  id: string;
  role: string;
  email: string;
  displayName: string;
  referralCode: string | null;
  emailVerified: boolean;
  phone: string | null;
  phoneVerified: boolean;
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
    emailVerified: a.emailVerified,
    phone: a.phone,
    phoneVerified: a.phoneVerified,
    payoutAccountConnected: a.stripeAccountId !== null,
    live: a.liveAt !== null,
    liveAt: a.liveAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly attribution: AttributionPreviewClient,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  /** Signs up; the answer says whether a referral (cookie or typed code) will count, and why not. */
  @Post()
  async register(
    @Caller() caller: CallerIdentity,
    @Body() dto: RegisterAccountDto,
    @Headers() headers: IncomingHttpHeaders,
  ): Promise<AccountView & { referral: AttributionPreview }> {
    const signals = signupSignals(headers, this.config.ATTRIBUTION_HASH_PEPPER);
    const account = await this.accounts.register(caller, dto, signals);
    const named = dto.referralCode !== undefined || signals.clickId !== undefined;
    const referral: AttributionPreview =
      named || signals.deviceHash !== undefined
        ? await this.attribution.preview({
            userId: account.id,
            role: account.role,
            referralCode: dto.referralCode,
            clickId: signals.clickId,
            clickCode: signals.clickCode,
            clickedAt: signals.clickedAt,
            deviceHash: signals.deviceHash,
            registeredAt: account.createdAt.toISOString(),
          })
        : { outcome: 'none', code: null, reason: null, message: null };
    return { ...view(account), referral };
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
