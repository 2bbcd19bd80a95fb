import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { USER_ROLES, UserRole } from '@rewards/contracts';

/** What bookings asks at signup: would this signup be attributed, and if not, why. */
export class AttributionPreviewDto {
  @IsUUID()
  userId!: string;

  @IsIn(USER_ROLES)
  role!: UserRole;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  referralCode?: string;

  @IsOptional()
  @IsUUID()
  clickId?: string;

  /** The click's code and time from its signed token, which bookings verified. */
  @IsOptional()
  @Matches(/^[A-Z0-9]{4,32}$/)
  clickCode?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  clickedAt?: string;

  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  deviceHash?: string;

  @IsISO8601({ strict: true })
  registeredAt!: string;
}
