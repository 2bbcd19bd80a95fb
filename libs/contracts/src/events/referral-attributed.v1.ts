import { IsIn, IsISO8601, IsString, IsUUID } from 'class-validator';

export const REFERRAL_PROGRAMS = ['student', 'instructor'] as const;
export type ReferralProgram = (typeof REFERRAL_PROGRAMS)[number];

/** A referee was attributed to a referrer; immutable once made. Key: refereeId. */
export class ReferralAttributedV1 {
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
}
