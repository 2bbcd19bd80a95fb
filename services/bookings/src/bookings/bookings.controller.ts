import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { Booking } from './booking.entity';
import { BookingsService } from './bookings.service';
import { CreateBookingDto } from './dto/create-booking.dto';

export interface BookingView {
  id: string;
  studentId: string;
  instructorId: string;
  startsAt: string;
  endsAt: string;
  price: { amountCents: number; currency: string };
  status: string;
  completedAt: string | null;
}

function view(b: Booking): BookingView {
  return {
    id: b.id,
    studentId: b.studentId,
    instructorId: b.instructorId,
    startsAt: b.startsAt.toISOString(),
    endsAt: b.endsAt.toISOString(),
    price: { amountCents: b.priceCents, currency: b.currency },
    status: b.status,
    completedAt: b.completedAt?.toISOString() ?? null,
  };
}

@Controller('bookings')
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Post()
  async create(
    @Caller(['student']) caller: CallerIdentity,
    @Body() dto: CreateBookingDto,
  ): Promise<BookingView> {
    return view(await this.bookings.create(caller, dto));
  }

  @Get(':id')
  async get(
    @Caller() caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<BookingView> {
    return view(await this.bookings.get(caller, id));
  }

  @Post(':id/complete')
  @HttpCode(200)
  async complete(
    @Caller(['instructor']) caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<BookingView> {
    return view(await this.bookings.complete(caller, id));
  }
}
