import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { checkDraftAccounts, checkLessonTimes, LessonDraft } from '../bookings/lesson-draft';
import { BookingsConfig } from '../config/bookings.config';
import { CheckoutQuote, QuoteTerms } from './checkout-quote';
import { chooseBenefit, platformFeeCents } from './choose-benefit';
import { signQuote } from './quote-signature';
import { RefereeDiscounts } from './referee-discounts';
import { WalletClient } from './wallet.client';

/**
 * Quotes a lesson draft: the one benefit that applies (referee discount or wallet credit, the
 * better for the student), the total, the platform fee after the instructor's rebate. Nothing is
 * stored: the signature carries the quote, so confirming it charges exactly this.
 */
@Injectable()
export class CreateQuote {
  constructor(
    private readonly dataSource: DataSource,
    private readonly discounts: RefereeDiscounts,
    private readonly wallet: WalletClient,
    private readonly clock: Clock,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  async execute(caller: CallerIdentity, draft: LessonDraft): Promise<CheckoutQuote> {
    const now = this.clock.now();
    const times = checkLessonTimes(draft, now, this.config.MAX_LESSON_MINUTES);
    // Two independent look-ups at once (the draft's accounts with the discount, the wallet): a
    // quote costs the slower of them. Refusals keep their order: a bad draft is reported before
    // an unavailable wallet.
    const [reads, funds] = await bothInOrder(
      this.discounts
        .quoteReads(this.dataSource.manager, caller.userId, draft.instructorId, draft.currency)
        .then((r) => ({ ...r, ...checkDraftAccounts(r.accounts, caller.userId, draft) })),
      this.wallet.funds(caller.userId, draft.instructorId, draft.currency),
    );
    const { student } = reads;
    const discount = reads.standing && {
      ...reads.standing,
      verified: student.emailVerified && student.phoneVerified,
    };
    const benefit = chooseBenefit(draft.priceCents, funds.creditCents, discount);
    const fee = platformFeeCents(draft.priceCents, this.config.PLATFORM_FEE_BPS);
    const terms: QuoteTerms = {
      id: randomUUID(),
      bookingId: randomUUID(),
      studentId: caller.userId,
      instructorId: draft.instructorId,
      startsAt: times.startsAt,
      endsAt: times.endsAt,
      currency: draft.currency,
      listPriceCents: draft.priceCents,
      benefitKind: benefit.kind,
      benefitCents: benefit.amountCents,
      totalCents: draft.priceCents - benefit.amountCents,
      platformFeeCents: fee,
      feeRebateCents: Math.min(fee, funds.feeRebateCents),
      expiresAt: new Date(now.getTime() + this.config.CHECKOUT_QUOTE_TTL_SECONDS * 1000),
      createdAt: now,
    };
    return {
      ...terms,
      benefitReason: benefit.reason,
      signature: signQuote(terms, this.config.CHECKOUT_QUOTE_SECRET),
    };
  }
}

/** Like Promise.all, but waits for both and throws the first failure in argument order. */
async function bothInOrder<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}
