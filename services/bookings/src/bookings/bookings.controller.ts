import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { Booking } from './booking.entity';
import { ConfirmQuotedBooking } from '../checkout/confirm-quoted-booking.usecase';
import { BookingsService } from './bookings.service';
import { CancelBooking } from './cancel-booking.usecase';
import { CreateBookingDto } from './dto/create-booking.dto';

export interface BookingView {
  id: string;
  studentId: string;
  instructorId: string;
  startsAt: string;
  endsAt: string;
  /** The lesson's list price. */
  price: { amountCents: number; currency: string };
  /** The one benefit applied at checkout, and what the student paid. */
  benefit: { kind: string; amount: { amountCents: number; currency: string } };
  total: { amountCents: number; currency: string };
  quoteId: string | null;
  /**
   * The card charge of `total` (a Stripe PaymentIntent id); null when nothing was due. Shown to
   * the student who paid and to admins only: absent from the instructor's view.
   */
  paymentIntentId?: string | null;
  status: string;
  cancelledAt: string | null;
  completedAt: string | null;
}

function view(b: Booking, caller: CallerIdentity): BookingView {
  const seesPayment = b.studentId === caller.userId || caller.roles.includes('admin');
  return {
    id: b.id,
    studentId: b.studentId,
    instructorId: b.instructorId,
    startsAt: b.startsAt.toISOString(),
    endsAt: b.endsAt.toISOString(),
    price: { amountCents: b.priceCents, currency: b.currency },
    benefit: { kind: b.benefitKind, amount: { amountCents: b.benefitCents, currency: b.currency } },
    total: { amountCents: b.priceCents - b.benefitCents, currency: b.currency },
    quoteId: b.quoteId,
    ...(seesPayment ? { paymentIntentId: b.paymentIntentId } : {}),
    status: b.status,
    cancelledAt: b.cancelledAt?.toISOString() ?? null,
    completedAt: b.completedAt?.toISOString() ?? null,
  };
}

@Controller('bookings')
export class BookingsController {
  constructor(
    private readonly bookings: BookingsService,
    private readonly confirmQuoted: ConfirmQuotedBooking,
    private readonly cancelBooking: CancelBooking,
  ) {}

  @Post()
  async create(
    @Caller(['student']) caller: CallerIdentity,
    @Body() dto: CreateBookingDto,
  ): Promise<BookingView> {
    const { quoteId, quoteSignature, paymentMethodId, ...draft } = dto;
    if (quoteId !== undefined && quoteSignature !== undefined) {
      return view(
        await this.confirmQuoted.execute(caller, {
          draft,
          quoteId,
          quoteSignature,
          paymentMethodId,
        }),
        caller,
      );
    }
    return view(await this.bookings.create(caller, dto), caller);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(
    @Caller(['student', 'instructor']) caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<BookingView> {
    return view(await this.cancelBooking.execute(caller, id), caller);
  }

  @Get(':id')
  async get(
    @Caller() caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<BookingView> {
    return view(await this.bookings.get(caller, id), caller);
  }

  @Post(':id/complete')
  @HttpCode(200)
  async complete(
    @Caller(['instructor']) caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<BookingView> {
    return view(await this.bookings.complete(caller, id), caller);
  }
}
