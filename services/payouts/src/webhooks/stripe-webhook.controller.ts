import { Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import Stripe from 'stripe';
import { PayoutsConfig } from '../config/payouts.config';
import { PayoutsError } from '../payouts-error';
import { STRIPE } from '../stripe/stripe.client';
import { ApplyStripeEventUseCase, StripeEventOutcome } from './apply-stripe-event.usecase';

/** How old a signature may be, in seconds: Stripe's own default, against replays. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Stripe's calls, through the gateway's public route. Verified on the exact bytes received;
 * anything unsigned, signed with another secret or too old is refused before it is read.
 */
@Controller('webhooks/stripe')
export class StripeWebhookController {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
    private readonly clock: Clock,
    private readonly apply: ApplyStripeEventUseCase,
  ) {}

  @Post()
  @HttpCode(200)
  async receive(
    // Express's request or Fastify's: either keeps the bytes received as rawBody.
    @Req() req: { readonly rawBody?: Buffer },
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<{ received: true; outcome: StripeEventOutcome }> {
    const event = this.verified(req.rawBody, signature);
    return { received: true, outcome: await this.apply.execute(event) };
  }

  private verified(body: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (body === undefined || body.length === 0) {
      throw new PayoutsError('STRIPE_SIGNATURE_INVALID', 'a signed JSON body is required');
    }
    if (signature === undefined) {
      throw new PayoutsError('STRIPE_SIGNATURE_INVALID', 'the Stripe-Signature header is missing');
    }
    try {
      return this.stripe.webhooks.constructEvent(
        body,
        signature,
        this.config.STRIPE_WEBHOOK_SECRET,
        WEBHOOK_TOLERANCE_SECONDS,
        undefined,
        // In milliseconds: the SDK divides by 1000 itself.
        this.clock.now().getTime(),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // The SDK's own words (no signature matched, timestamp outside the tolerance zone).
      throw new PayoutsError('STRIPE_SIGNATURE_INVALID', message.split('\n')[0].slice(0, 200));
    }
  }
}
