import {
  IsEmail,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
} from 'class-validator';

export const USER_ROLES = ['student', 'instructor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A student or instructor created an account. Key: userId. */
export class UserRegisteredV1 {
  @IsUUID()
  userId!: string;

  @IsIn(USER_ROLES)
  role!: UserRole;

  @IsEmail()
  email!: string;

  @IsString()
  @Length(1, 120)
  displayName!: string;

  /** The referral code the user signed up with, exactly as entered; absent when none. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  referralCode?: string;

  /** The share-link click the user's attribution cookie names, when it sent one. */
  @IsOptional()
  @IsUUID()
  clickId?: string;

  /**
   * The code and time of that click, from the cookie's signed token (bookings checked its MAC):
   * the click counts even while the replica that took it has not written it yet, or never will.
   * Added later as optional fields; absent when the cookie was an earlier, unsigned one.
   */
  @IsOptional()
  @Matches(/^[A-Z0-9]{4,32}$/)
  clickCode?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  clickedAt?: string;

  /** HMAC-SHA256 (hex) of the device id the user signed up from; never the id itself. */
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  deviceHash?: string;

  /** HMAC-SHA256 (hex) of the IP address the user signed up from; never the address. */
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  ipHash?: string;

  @IsISO8601({ strict: true })
  registeredAt!: string;
}
