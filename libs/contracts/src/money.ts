import 'reflect-metadata';
import { IsIn, IsInt, Min } from 'class-validator';

export const CURRENCIES = ['USD'] as const;
export type Currency = (typeof CURRENCIES)[number];
export const DEFAULT_CURRENCY: Currency = 'USD';

/** An amount of money: integer minor units (cents) and an ISO 4217 currency code. */
export class Money {
  /** Amount in minor units (cents); never a float. */
  @IsInt()
  @Min(0)
  amountCents!: number;

  /** ISO 4217 code. */
  @IsIn(CURRENCIES)
  currency!: Currency;
}

export function money(amountCents: number, currency: Currency = DEFAULT_CURRENCY): Money {
  if (!Number.isSafeInteger(amountCents)) {
    throw new RangeError(`amountCents must be an integer, got ${amountCents}`);
  }
  return Object.assign(new Money(), { amountCents, currency });
}
