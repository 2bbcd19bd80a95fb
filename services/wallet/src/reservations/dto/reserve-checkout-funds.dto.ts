import { CURRENCIES, Currency } from '@rewards/contracts';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { MAX_RESERVATION_CENTS } from '../reservation-keys';

/** `PUT /internal/reservations/:reference`: what bookings asks the wallet to hold. */
export class ReserveCheckoutFundsDto {
  @IsUUID()
  bookingId!: string;

  @IsUUID()
  studentId!: string;

  @IsInt()
  @Min(0)
  @Max(MAX_RESERVATION_CENTS)
  creditCents!: number;

  @IsOptional()
  @IsUUID()
  instructorId?: string;

  @IsInt()
  @Min(0)
  @Max(MAX_RESERVATION_CENTS)
  feeRebateCents: number = 0;

  @IsIn(CURRENCIES)
  currency!: Currency;
}

export class CheckoutFundsQuery {
  @IsUUID()
  studentId!: string;

  @IsOptional()
  @IsUUID()
  instructorId?: string;

  @IsIn(CURRENCIES)
  currency!: Currency;
}

/** `POST /internal/reservations/:reference/return`. */
export class ReturnReservationDto {
  @IsIn(['not_confirmed', 'booking_cancelled'])
  reason!: 'not_confirmed' | 'booking_cancelled';
}
