import {
  IsIn,
  IsInt,
  IsOptional,
  IsISO8601,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { CURRENCIES, Currency } from '@rewards/contracts';
import { QUOTE_SIGNATURE_MAX_LENGTH } from '../../checkout/quote-signature';

export class CreateBookingDto {
  @IsUUID()
  instructorId!: string;

  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  /** Lesson price in cents. */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  priceCents!: number;

  @IsIn(CURRENCIES)
  currency: Currency = 'USD';

  /** A quote from `POST /checkout/apply-referral` for this lesson: books at its total. */
  @ValidateIf((o: CreateBookingDto) => o.quoteId !== undefined || o.quoteSignature !== undefined)
  @IsUUID()
  quoteId?: string;

  /**
   * The quote's `signature`, unaltered (`q2.` and two base64url parts: it carries the quote);
   * required with `quoteId`.
   */
  @ValidateIf((o: CreateBookingDto) => o.quoteId !== undefined || o.quoteSignature !== undefined)
  @IsString()
  @Length(1, QUOTE_SIGNATURE_MAX_LENGTH)
  @Matches(/^[A-Za-z0-9_.-]+$/, {
    message: 'quoteSignature must be the quote signature: letters, digits, dots, - and _',
  })
  quoteSignature?: string;

  /**
   * The card to charge, as Stripe.js made it (`pm_...`): required when the lesson (or the
   * quote's total) costs more than zero.
   */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  paymentMethodId?: string;
}
