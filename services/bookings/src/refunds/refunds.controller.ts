import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { Matches } from 'class-validator';
import { RefundBooking } from './refund-booking.usecase';

export class RefundBookingDto {
  /** A short stable code, e.g. `customer_request`, `lesson_not_held`. */
  @Matches(/^[a-z][a-z0-9_]{2,63}$/, {
    message: 'reason must be a short code like customer_request',
  })
  reason!: string;
}

@Controller('bookings')
export class RefundsController {
  constructor(private readonly refund: RefundBooking) {}

  /** Admins (support) refund a booking. */
  @Post(':id/refund')
  @HttpCode(200)
  async refundBooking(
    @Caller(['admin']) _caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: RefundBookingDto,
  ): Promise<{ id: string; status: string }> {
    const booking = await this.refund.execute(id, dto.reason);
    return { id: booking.id, status: booking.status };
  }
}
