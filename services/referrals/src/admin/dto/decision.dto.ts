import { IsString, Length } from 'class-validator';

/** Why an admin decided: kept with the decision. */
export class DecisionDto {
  @IsString()
  @Length(3, 500)
  reason!: string;
}
