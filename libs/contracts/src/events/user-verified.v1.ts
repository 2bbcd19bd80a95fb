import { IsBoolean, IsISO8601, IsUUID } from 'class-validator';

/** A user's contact details were verified. Key: userId. */
export class UserVerifiedV1 {
  @IsUUID()
  userId!: string;

  @IsBoolean()
  emailVerified!: boolean;

  @IsBoolean()
  phoneVerified!: boolean;

  @IsISO8601({ strict: true })
  verifiedAt!: string;
}
