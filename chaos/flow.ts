// One instructor referral flow, as clients drive it through the gateway (see
// test/flow.e2e-spec.ts): instructor A registers and connects a fake-Stripe account; B signs up
// with A's code, connects an account and goes live; a student given $20 of wallet credit books B
// for an $80 lesson starting shortly (the credit held, then captured; the card pays the rest); B
// completes it once it has started. Referrals and payouts do the rest, checked later
// from the databases. Each step is retried through outages; a step whose first answer was lost
// is recognised on retry by its "already done" error code.
import { rewardUnlockedEvent } from '../libs/testing/src/reward-events';
import { createTestPaymentMethod } from '../libs/testing/src/test-card';
import { CreditGiver } from './credit-giver';
import { ResilientClient } from './http';

export interface FlowOptions {
  index: number;
  runId: string;
  gateway: ResilientClient;
  stripe: ResilientClient;
  stripeKey: string;
  /** Sends the student's credit, as referrals publishes an unlocked reward. */
  credit: CreditGiver;
  /** How far ahead of booking the lesson starts. */
  lessonLeadMs: number;
  timeoutMs: number;
  /** Called once B's completion was accepted. */
  onCompleted: (flow: number) => void;
}

export interface FlowResult {
  index: number;
  referrerId?: string;
  refereeId?: string;
  bookingId?: string;
  referrerStripeAccount?: string;
  completedAt?: number;
  durationMs: number;
  error?: string;
}

interface Quote {
  id: string;
  signature: string;
  benefit?: { kind: string; amount: { amountCents: number } };
}

interface DevToken {
  token: string;
  userId: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The student's wallet credit, applied by the quote to the $80 lesson. */
const STUDENT_CREDIT_CENTS = 2000;
/** How long the student waits to see the credit before the reward's event is sent again. */
const CREDIT_RESEND_MS = 10_000;

export async function runFlow(opts: FlowOptions): Promise<FlowResult> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const result: FlowResult = { index: opts.index, durationMs: 0 };
  const { gateway } = opts;
  const email = (who: string): string => `chaos-${opts.runId}-${opts.index}-${who}@example.test`;
  const mint = async (role: string): Promise<DevToken> =>
    (await gateway.call<DevToken>('POST', '/auth/dev-token', deadline, {
      json: { role },
    })) as DevToken;
  const stripeAccount = async (who: string): Promise<string> => {
    const account = await opts.stripe.call<{ id: string }>('POST', '/v1/accounts', deadline, {
      token: opts.stripeKey,
      form: { type: 'express', email: email(who) },
    });
    return (account as { id: string }).id;
  };
  const register = (user: DevToken, role: string, who: string, referralCode?: string) =>
    gateway.call('POST', '/accounts', deadline, {
      token: user.token,
      json: { role, email: email(who), displayName: `Chaos ${who} ${opts.index}`, referralCode },
      doneCodes: ['ACCOUNT_ALREADY_REGISTERED'],
    });
  const connect = async (user: DevToken, who: string): Promise<string> => {
    const account = await stripeAccount(who);
    await gateway.call('PUT', '/accounts/me/payout-account', deadline, {
      token: user.token,
      json: { stripeAccountId: account },
    });
    return account;
  };

  try {
    const [a, b, student] = [
      await mint('instructor'),
      await mint('instructor'),
      await mint('student'),
    ];
    result.referrerId = a.userId;
    result.refereeId = b.userId;
    await register(a, 'instructor', 'a');
    result.referrerStripeAccount = await connect(a, 'a');
    const stats = await gateway.call<{ code: string }>('GET', '/referrals/me', deadline, {
      token: a.token,
      notYetCodes: ['CODE_NOT_READY'],
    });
    const code = (stats as { code: string }).code;

    await register(b, 'instructor', 'b', code);
    await connect(b, 'b');
    await gateway.call('POST', '/accounts/me/go-live', deadline, { token: b.token });
    await register(student, 'student', 's');
    await creditStudent(opts, student, deadline);

    // The card a client turns into a payment method with Stripe.js; retries may reuse it.
    const paymentMethodId = await createTestPaymentMethod(opts.stripe.baseUrl);
    let booking: { id: string; startsAt: string } | undefined;
    while (booking === undefined) {
      const startsAt = new Date(Date.now() + opts.lessonLeadMs);
      const draft = {
        instructorId: b.userId,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
      };
      // Booked through a quote: confirming one quote again answers the booking it made, so a
      // retry whose first answer was lost never books (or charges) twice.
      const quote = (await gateway.call<Quote>('POST', '/checkout/apply-referral', deadline, {
        token: student.token,
        json: draft,
      })) as Quote;
      // The student's credit is the one benefit they have: the quote must apply it.
      if (quote.benefit?.kind !== 'wallet_credit') {
        throw new Error(`the quote applied ${JSON.stringify(quote.benefit)}, not the credit`);
      }
      // Refused before anything was booked with this quote (a quote confirmed answers its
      // booking, even past its expiry): quote again, at a new time.
      booking = await gateway.call<{ id: string; startsAt: string }>(
        'POST',
        '/bookings',
        deadline,
        {
          token: student.token,
          json: { ...draft, quoteId: quote.id, quoteSignature: quote.signature, paymentMethodId },
          doneCodes: ['INVALID_LESSON_TIME', 'QUOTE_EXPIRED'],
        },
      );
    }
    result.bookingId = booking.id;
    await sleep(Date.parse(booking.startsAt) - Date.now());
    await gateway.call('POST', `/bookings/${booking.id}/complete`, deadline, {
      token: b.token,
      notYetCodes: ['LESSON_NOT_STARTED'],
    });
    result.completedAt = Date.now();
    opts.onCompleted(opts.index);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  result.durationMs = Date.now() - started;
  return result;
}

/**
 * Gives the student their credit and waits until their wallet shows it. The broker may lose the
 * event (the embedded one keeps messages in memory): it is sent again, the same event, until it
 * shows; the wallet's inbox applies it once.
 */
async function creditStudent(opts: FlowOptions, student: DevToken, deadline: number) {
  const reward = rewardUnlockedEvent({
    beneficiaryId: student.userId,
    amountCents: STUDENT_CREDIT_CENTS,
  });
  for (;;) {
    // A broker that is down refuses the send: it is sent again after the wait.
    await opts.credit.send(reward).catch(() => undefined);
    const resendAt = Date.now() + CREDIT_RESEND_MS;
    while (Date.now() < resendAt) {
      const wallet = await opts.gateway.call<{ balances: Array<{ availableCents: number }> }>(
        'GET',
        '/wallet/me',
        deadline,
        { token: student.token },
      );
      if ((wallet?.balances[0]?.availableCents ?? 0) >= STUDENT_CREDIT_CENTS) return;
      await sleep(Math.min(500, deadline - Date.now()));
      if (Date.now() >= deadline) throw new Error('the student credit never showed in the wallet');
    }
  }
}
