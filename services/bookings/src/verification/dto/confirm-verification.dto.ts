import { Matches } from 'class-validator';

export class ConfirmVerificationDto {
  @Matches(/^[0-9]{6}$/, { message: 'code must be the 6 digits we sent' })
  code!: string;
}
