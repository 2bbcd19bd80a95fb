// One instructor referral flow, as clients drive it through the gateway (see
// test/flow.e2e-spec.ts): instructor A registers and connects a fake-Stripe account; B signs up
// with A's code, connects an account and goes live; a student books B for a lesson starting
// shortly; B completes it once it has started. Referrals and payouts do the rest, checked later
// from the databases. Each step is retried through outages; a step whose first answer was lost
// is recognised on retry by its "already done" error code.
import { createTestPaymentMethod } from '../libs/testing/src/test-card';
import { ResilientClient } from './http';

export interface FlowOptions {
  index: number;
  runId: string;
  gateway: ResilientClient;
  stripe: ResilientClient;
  stripeKey: string;
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

interface DevToken {
  token: string;
  userId: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

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
      const quote = (await gateway.call<{ id: string; signature: string }>(
        'POST',
        '/checkout/apply-referral',
        deadline,
        { token: student.token, json: draft },
      )) as { id: string; signature: string };
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
