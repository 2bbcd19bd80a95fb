import { IsEmail, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';

export class RegisterAccountDto {
  /** Must match a role of the caller's token. */
  @IsIn(['student', 'instructor'])
  role!: 'student' | 'instructor';

  @IsEmail()
  email!: string;

  @IsString()
  @Length(1, 120)
  displayName!: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9-]{4,64}$/, {
    message: 'referralCode must be 4-64 letters, digits or dashes',
  })
  referralCode?: string;
}
