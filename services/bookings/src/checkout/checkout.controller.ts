import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { quoteView, QuoteView } from './checkout-quote';
import { CreateQuote } from './create-quote.usecase';
import { ApplyReferralDto } from './dto/apply-referral.dto';

@Controller('checkout')
export class CheckoutController {
  constructor(private readonly createQuote: CreateQuote) {}

  /** Quotes a lesson with the one benefit that applies; book it with `POST /bookings`. */
  @Post('apply-referral')
  @HttpCode(200)
  async applyReferral(
    @Caller(['student']) caller: CallerIdentity,
    @Body() dto: ApplyReferralDto,
  ): Promise<QuoteView> {
    return quoteView(await this.createQuote.execute(caller, dto));
  }
}
