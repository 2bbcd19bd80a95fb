import { IsISO8601, IsUUID } from 'class-validator';

/** An instructor's profile became bookable. Key: instructorId. */
export class InstructorWentLiveV1 {
  @IsUUID()
  instructorId!: string;

  @IsISO8601({ strict: true })
  wentLiveAt!: string;
}
