import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsString,
  Matches,
} from 'class-validator';
import { MAX_CAPTURE_BATCH } from '@rewards/contracts';
import { REFERENCE } from '../../ledger/post-transaction';

/** `POST /internal/reservations/capture`: the checkouts whose holds to capture. */
export class CaptureReservationsDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CAPTURE_BATCH)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(REFERENCE, {
    each: true,
    message: 'each reference is 1 to 200 printable characters without spaces',
  })
  references!: string[];
}
