import { Matches } from 'class-validator';

export class SetPayoutAccountDto {
  @Matches(/^acct_[A-Za-z0-9]{6,64}$/, { message: 'stripeAccountId must look like acct_...' })
  stripeAccountId!: string;
}
