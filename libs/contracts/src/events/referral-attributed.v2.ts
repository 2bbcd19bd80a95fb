import { Type } from 'class-transformer';
import {
  IsIn,
  IsISO8601,
  IsObject,
  IsString,
  IsUUID,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Money } from '../money';
import { REFERRAL_PROGRAMS, ReferralProgram } from './referral-attributed.v1';

/** What the referee of the student program gets at checkout, as the program stood. */
export class RefereeDiscount {
  /** Taken off the referee's first qualifying lesson. */
  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** The least a lesson must cost for the discount to apply. */
  @ValidateNested()
  @Type(() => Money)
  minimumLessonPrice!: Money;
}

/**
 * A referee was attributed to a referrer; immutable once made. Key: refereeId.
 * v2 adds the referee's benefit, so bookings can apply it at checkout without asking referrals.
 */
export class ReferralAttributedV2 {
  @IsUUID()
  attributionId!: string;

  @IsIn(REFERRAL_PROGRAMS)
  program!: ReferralProgram;

  @IsUUID()
  referrerId!: string;

  @IsUUID()
  refereeId!: string;

  @IsString()
  code!: string;

  @IsISO8601({ strict: true })
  attributedAt!: string;

  /** The referee's first-lesson discount; null when the program gives the referee none. */
  @ValidateIf((_, value) => value !== null)
  @IsObject()
  @ValidateNested()
  @Type(() => RefereeDiscount)
  refereeDiscount!: RefereeDiscount | null;
}
