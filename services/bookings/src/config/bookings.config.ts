import { DataServiceConfig, toInt } from '@rewards/service-kit';
import { IsInt, Max, Min } from 'class-validator';

export class BookingsConfig extends DataServiceConfig {
  override PORT = 3001;

  /** Longest lesson a booking may cover. */
  @toInt()
  @IsInt()
  @Min(15)
  @Max(600)
  MAX_LESSON_MINUTES: number = 240;
}
