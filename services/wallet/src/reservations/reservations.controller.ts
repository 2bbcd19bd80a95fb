import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { InternalCallers } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { CheckoutFunds, CheckoutFundsView } from './checkout-funds.query';
import { reservationView, ReservationView } from './credit-reservation';
import { CaptureOutcome, CaptureReservations } from './capture-reservations.usecase';
import { CaptureReservationsDto } from './dto/capture-reservations.dto';
import {
  CheckoutFundsQuery,
  ReserveCheckoutFundsDto,
  ReturnReservationDto,
} from './dto/reserve-checkout-funds.dto';
import { ReserveCheckoutFunds } from './reserve-checkout-funds.usecase';
import { ReturnReservation } from './return-reservation.usecase';

/**
 * What bookings' checkout calls, synchronously, with the checkout's reference as idempotency
 * key. Service-to-service only: the gateway never routes /internal, and only bookings, signed as
 * itself, is answered.
 */
@Controller('internal')
@InternalCallers('bookings')
export class ReservationsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly funds: CheckoutFunds,
    private readonly reserve: ReserveCheckoutFunds,
    private readonly capture: CaptureReservations,
    private readonly giveBack: ReturnReservation,
  ) {}

  @Get('checkout-funds')
  checkoutFunds(@Query() q: CheckoutFundsQuery): Promise<CheckoutFundsView> {
    return this.funds.of(q.studentId, q.instructorId ?? null, q.currency);
  }

  @Put('reservations/:reference')
  async reserveFunds(
    @Param('reference') reference: string,
    @Body() dto: ReserveCheckoutFundsDto,
  ): Promise<ReservationView> {
    const reservation = await this.reserve.execute({
      reference,
      bookingId: dto.bookingId,
      studentId: dto.studentId,
      creditCents: dto.creditCents,
      instructorId: dto.instructorId ?? null,
      feeRebateCents: dto.feeRebateCents,
      currency: dto.currency,
    });
    return reservationView(reservation);
  }

  /**
   * Captures the holds of checkouts that committed their bookings, a batch at a time (one
   * statement, or one transaction); each reference answers on its own line, captured or refused
   * with its code.
   */
  @Post('reservations/capture')
  @HttpCode(200)
  async captureFunds(@Body() dto: CaptureReservationsDto): Promise<{ captures: CaptureOutcome[] }> {
    return { captures: await this.capture.captureBatch(dto.references) };
  }

  @Post('reservations/:reference/return')
  @HttpCode(200)
  async returnFunds(
    @Param('reference') reference: string,
    @Body() dto: ReturnReservationDto,
  ): Promise<ReservationView> {
    return reservationView(
      await this.dataSource.transaction((tx) => this.giveBack.execute(tx, reference, dto.reason)),
    );
  }
}
