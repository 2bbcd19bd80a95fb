import { Matches } from 'class-validator';

export class ClaimCodeDto {
  @Matches(/^[A-Za-z0-9]{4,32}$/, { message: 'code must be 4-32 letters or digits' })
  code!: string;
}
