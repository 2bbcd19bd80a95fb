import { IsOptional, Matches } from 'class-validator';

export class SendVerificationDto {
  /** Phone only: the number to verify, in E.164 (+ and 8-15 digits). */
  @IsOptional()
  @Matches(/^\+[1-9][0-9]{7,14}$/, { message: 'phone must be in E.164 form, e.g. +14155550123' })
  phone?: string;
}
