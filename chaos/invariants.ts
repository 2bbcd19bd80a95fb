// What must hold once the platform is quiet, read from every service's schema (admin connection)
// and from the fake Stripe: each completed first lesson of a referred instructor led to exactly
// one bonus and one transfer of the right amount; referrals, payouts and Stripe agree on every
// payout; the founding cap is exact; the wallet ledger balances and every checkout capture was
// told as wallet-debited, every booking paid partly by credit captured exactly that credit;
// every dead letter has a reason; every card charge that succeeded belongs to exactly one
// booking or was refunded (no lost cent).
import { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { inspectLedger } from '../services/wallet/src/ledger/check-invariants';
import { DATA_SERVICES } from './schedule';

interface Finding {
  refereeId: string;
  referrerId: string | null;
  detail: string;
}

export interface InvariantReport {
  /** Referred instructors whose first lesson was completed: each is owed one bonus. */
  owed: number;
  paid: number;
  lost: Finding[];
  doubled: Finding[];
  disagreeing: Finding[];
  program: string[];
  ledger: string[];
  /** Card charges without exactly one booking and not refunded, bookings made twice. */
  charges: string[];
  deadLetters: Array<{ schema: string; consumer: string; topic: string; reason: string }>;
  deadLettersWithoutReason: number;
  /** Not invariant failures, but where to look: unpublished outbox rows, pending replays. */
  backlog: string[];
  founding: { cap: number; counter: number; founding: number; standard: number };
  ok: boolean;
}

export interface StripeTransfer {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  metadata: Record<string, string>;
}

export interface StripeCharges {
  paymentIntents: Array<{
    id: string;
    amount: number;
    status: string;
    metadata: Record<string, string>;
  }>;
  refunds: Array<{ payment_intent: string; amount: number; status: string }>;
}

interface AccountRow {
  id: string;
  role: string;
  referral_code: string | null;
  stripe_account_id: string | null;
  live_at: Date | null;
}
interface ReferralRow {
  referee_id: string;
  referrer_id: string;
  status: string;
  reward_id: string | null;
  payout_id: string | null;
  bonus_cents: number | null;
  founding: boolean | null;
  transfer_id: string | null;
  failure_reason: string | null;
  first_lesson_booking_id: string | null;
}
interface PayoutRow {
  id: string;
  reward_id: string;
  beneficiary_id: string;
  amount_cents: number;
  status: string;
  transfer_id: string | null;
  attempts: number;
  next_attempt_at: Date | null;
  last_error_code: string | null;
}

const groupBy = <T, K>(items: T[], key: (t: T) => K): Map<K, T[]> => {
  const map = new Map<K, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
};

/** A reason an operator can act on: not empty, not an object printed as "[object Object]". */
function isReason(reason: string | null): boolean {
  return reason !== null && reason.trim() !== '' && !/^\[object \w+\]$/.test(reason.trim());
}

async function rows<T>(client: Client, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query(sql, params)).rows as T[];
}

export async function checkInvariants(
  adminUrl: string,
  transfers: StripeTransfer[],
  charges: StripeCharges,
): Promise<InvariantReport> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const report = await inspect(client, transfers);
    const chargeFindings = await checkCharges(client, charges);
    return { ...report, charges: chargeFindings, ok: report.ok && chargeFindings.length === 0 };
  } finally {
    await client.end();
  }
}

async function inspect(client: Client, transfers: StripeTransfer[]): Promise<InvariantReport> {
  const accounts = await rows<AccountRow>(
    client,
    'SELECT id, role, referral_code, stripe_account_id, live_at FROM bookings.accounts',
  );
  const completed = await rows<{
    instructor_id: string;
    student_id: string;
    id: string;
    price_cents: number;
    after_start: boolean;
  }>(
    client,
    `SELECT instructor_id, student_id, id, price_cents, completed_at > starts_at AS after_start
       FROM bookings.bookings WHERE status = 'completed'`,
  );
  const codes = await rows<{ code: string; user_id: string }>(
    client,
    'SELECT code, user_id FROM referrals.referral_codes',
  );
  const attributions = await rows<{ referee_id: string; outcome: string; refusal_reason: string }>(
    client,
    'SELECT referee_id, outcome, refusal_reason FROM referrals.attributions',
  );
  const referrals = await rows<ReferralRow>(
    client,
    `SELECT referee_id, referrer_id, status, reward_id, payout_id, bonus_cents, founding,
            transfer_id, failure_reason, first_lesson_booking_id FROM referrals.instructor_referrals`,
  );
  const payouts = await rows<PayoutRow>(
    client,
    `SELECT id, reward_id, beneficiary_id, amount_cents, status, transfer_id, attempts,
            next_attempt_at, last_error_code FROM payouts.payouts`,
  );
  const config = new Map(
    (
      await rows<{ key: string; value: unknown }>(
        client,
        'SELECT key, value FROM referrals.program_config',
      )
    ).map((r) => [r.key, r.value]),
  );
  const [counterRow] = await rows<{ value: number }>(
    client,
    "SELECT value FROM referrals.program_counters WHERE name = 'founding_instructor_bonuses'",
  );

  // The qualifying-lesson rule (services/referrals/src/program/qualifying-lesson.ts), from the
  // facts bookings holds: paid, at least the program minimum, the student neither the
  // instructor nor the referrer, completed after it started.
  const minimumCents = Number(config.get('instructor_lesson_minimum_cents') ?? 0);
  const qualifies = (b: (typeof completed)[number], referrerId: string): boolean =>
    b.price_cents > 0 &&
    b.price_cents >= minimumCents &&
    b.student_id !== b.instructor_id &&
    b.student_id !== referrerId &&
    b.after_start;
  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const codeOwner = new Map(codes.map((c) => [c.code, c.user_id]));
  const attributionOf = new Map(attributions.map((a) => [a.referee_id, a]));
  const referralOf = new Map(referrals.map((r) => [r.referee_id, r]));
  const payoutById = new Map(payouts.map((p) => [p.id, p]));
  const transfersByGroup = groupBy(transfers, (t) => t.transfer_group ?? '');
  const completedBy = groupBy(completed, (b) => b.instructor_id);

  const lost: Finding[] = [];
  const doubled: Finding[] = [];
  const disagreeing: Finding[] = [];
  const program: string[] = [];
  let paid = 0;

  // Who is owed a bonus, from the facts bookings holds: a referred instructor, live, with a
  // completed lesson that qualifies.
  const owed = accounts.filter((a) => {
    if (a.role !== 'instructor' || a.referral_code === null || a.live_at === null) return false;
    const referrer = codeOwner.get(a.referral_code.trim().toUpperCase());
    if (referrer === undefined || referrer === a.id) return false;
    return (completedBy.get(a.id) ?? []).some((b) => qualifies(b, referrer));
  });
  const owedIds = new Set(owed.map((a) => a.id));

  for (const referee of owed) {
    const referrerId =
      codeOwner.get((referee.referral_code as string).trim().toUpperCase()) ?? null;
    const finding = (detail: string): Finding => ({ refereeId: referee.id, referrerId, detail });
    const referral = referralOf.get(referee.id);
    if (!referral) {
      const attribution = attributionOf.get(referee.id);
      lost.push(
        finding(
          attribution
            ? `attribution ${attribution.outcome}${attribution.refusal_reason ? ` (${attribution.refusal_reason})` : ''} but no instructor referral`
            : 'no attribution: the signup was never applied by referrals',
        ),
      );
      continue;
    }
    if (referral.referrer_id !== referrerId) {
      disagreeing.push(finding(`referral names referrer ${referral.referrer_id}`));
    }
    if (referral.payout_id === null) {
      lost.push(finding(`referral still ${referral.status}: no bonus decided`));
      continue;
    }
    const payout = payoutById.get(referral.payout_id);
    const made = transfersByGroup.get(referral.payout_id) ?? [];
    const state =
      `referrals ${referral.status}, payouts ${
        payout
          ? `${payout.status} (attempts ${payout.attempts}` +
            `${payout.last_error_code ? `, last ${payout.last_error_code}` : ''}` +
            `${payout.status === 'pending_transfer' && payout.next_attempt_at ? `, next ${payout.next_attempt_at.toISOString()}` : ''})`
          : 'missing'
      }, ` + `stripe ${made.length} transfer(s)`;
    if (made.length > 1) {
      doubled.push(
        finding(`payout ${referral.payout_id}: ${made.map((t) => t.id).join(', ')}; ${state}`),
      );
    }
    if (made.length === 0) lost.push(finding(`payout ${referral.payout_id}: ${state}`));
    const referralPaid = referral.status === 'paid';
    const payoutPaid = payout?.status === 'paid';
    if (referralPaid !== payoutPaid || payoutPaid !== made.length > 0) {
      disagreeing.push(finding(`payout ${referral.payout_id}: ${state}`));
    } else if (made.length === 1) {
      const t = made[0];
      const expectedAccount = referrerId ? accountById.get(referrerId)?.stripe_account_id : null;
      const problems = [
        payout && payout.transfer_id !== t.id ? `payouts records ${payout.transfer_id}` : '',
        referral.transfer_id !== t.id ? `referrals records ${referral.transfer_id}` : '',
        t.amount !== referral.bonus_cents || payout?.amount_cents !== referral.bonus_cents
          ? `amounts: bonus ${referral.bonus_cents}, payout ${payout?.amount_cents}, transfer ${t.amount}`
          : '',
        t.destination !== expectedAccount
          ? `transfer to ${t.destination}, not ${expectedAccount}`
          : '',
        payout && payout.beneficiary_id !== referrerId ? `payout to ${payout.beneficiary_id}` : '',
      ].filter((p) => p !== '');
      if (problems.length > 0) {
        disagreeing.push(finding(`transfer ${t.id}: ${problems.join('; ')}`));
      } else {
        paid += 1;
      }
    }
  }

  // Money nobody was owed: bonuses without a completed lesson, payouts or transfers of nothing.
  for (const r of referrals) {
    if (r.payout_id !== null && !owedIds.has(r.referee_id)) {
      doubled.push({
        refereeId: r.referee_id,
        referrerId: r.referrer_id,
        detail: `bonus ${r.bonus_cents} decided without a qualifying completed lesson in bookings`,
      });
    }
  }
  const payoutIdsOfReferrals = new Set(referrals.map((r) => r.payout_id));
  for (const p of payouts) {
    if (!payoutIdsOfReferrals.has(p.id)) {
      doubled.push({
        refereeId: '-',
        referrerId: p.beneficiary_id,
        detail: `payout ${p.id} (${p.status}) belongs to no instructor referral`,
      });
    }
  }
  for (const [group, list] of transfersByGroup) {
    if (!payoutById.has(group)) {
      doubled.push({
        refereeId: '-',
        referrerId: null,
        detail: `transfer(s) ${list.map((t) => t.id).join(', ')} in group '${group}' match no payout`,
      });
    }
  }

  // The founding cap: exact, and the counter agrees with the bonuses decided.
  const cap = Number(config.get('founding_instructor_cap'));
  const foundingCents = Number(config.get('founding_instructor_bonus_cents'));
  const standardCents = Number(config.get('instructor_standard_bonus_cents'));
  const decided = referrals.filter((r) => r.bonus_cents !== null);
  const founding = decided.filter((r) => r.founding === true);
  const counter = counterRow?.value ?? -1;
  if (founding.length > cap) program.push(`${founding.length} founding bonuses, cap ${cap}`);
  if (founding.length !== counter) {
    program.push(`founding counter ${counter}, founding bonuses ${founding.length}`);
  }
  if (founding.length !== Math.min(cap, decided.length)) {
    program.push(`${founding.length} founding of ${decided.length} bonuses with cap ${cap}`);
  }
  for (const r of decided) {
    const want = r.founding ? foundingCents : standardCents;
    if (r.bonus_cents !== want) {
      program.push(
        `referee ${r.referee_id}: ${r.founding ? 'founding' : 'standard'} bonus ${r.bonus_cents}, want ${want}`,
      );
    }
  }

  const ledger = await checkLedger(client);
  const deadLetters: InvariantReport['deadLetters'] = [];
  const backlog: string[] = [];
  let deadLettersWithoutReason = 0;
  for (const schema of DATA_SERVICES) {
    for (const d of await rows<{ consumer: string; topic: string; reason: string | null }>(
      client,
      `SELECT consumer, topic, reason FROM ${schema}.dead_letters ORDER BY failed_at`,
    )) {
      deadLetters.push({ schema, consumer: d.consumer, topic: d.topic, reason: d.reason ?? '' });
      if (!isReason(d.reason)) deadLettersWithoutReason += 1;
    }
    const [outbox] = await rows<{ unpublished: string; replays: string }>(
      client,
      `SELECT (SELECT count(*) FROM ${schema}.outbox_messages WHERE published_at IS NULL) AS unpublished,
              (SELECT count(*) FROM ${schema}.outbox_replays) AS replays`,
    );
    if (Number(outbox.unpublished) > 0)
      backlog.push(`${schema}: ${outbox.unpublished} outbox rows unpublished`);
    if (Number(outbox.replays) > 0)
      backlog.push(`${schema}: ${outbox.replays} outbox replays pending`);
  }
  if (deadLettersWithoutReason > 0) {
    program.push(`${deadLettersWithoutReason} dead letter(s) without a usable reason`);
  }

  return {
    owed: owed.length,
    paid,
    lost,
    doubled,
    disagreeing,
    program,
    ledger,
    charges: [],
    deadLetters,
    deadLettersWithoutReason,
    backlog,
    founding: {
      cap,
      counter,
      founding: founding.length,
      standard: decided.length - founding.length,
    },
    ok:
      lost.length + doubled.length + disagreeing.length + program.length + ledger.length === 0 &&
      deadLettersWithoutReason === 0,
  };
}

/**
 * No lost cent: each succeeded charge is held by exactly one booking, or refunded in full (a
 * charge whose booking never committed, refunded at once or by the reconciliation job); each
 * booking's charge is one Stripe made; each student of the flows booked once (a retried
 * confirmation answers the same booking).
 */
async function checkCharges(client: Client, charges: StripeCharges): Promise<string[]> {
  const bookings = await rows<{ id: string; student_id: string; payment_intent_id: string | null }>(
    client,
    'SELECT id, student_id, payment_intent_id FROM bookings.bookings',
  );
  const attempts = await rows<{ id: string; state: string }>(
    client,
    'SELECT id, state FROM bookings.charge_attempts',
  );
  const attemptState = new Map(attempts.map((a) => [a.id, a.state]));
  const holders = groupBy(
    bookings.filter((b) => b.payment_intent_id !== null),
    (b) => b.payment_intent_id as string,
  );
  const refunded = new Map<string, number>();
  for (const r of charges.refunds.filter((r) => r.status === 'succeeded')) {
    refunded.set(r.payment_intent, (refunded.get(r.payment_intent) ?? 0) + r.amount);
  }
  const findings: string[] = [];
  const succeeded = charges.paymentIntents.filter((p) => p.status === 'succeeded');
  for (const intent of succeeded) {
    const held = holders.get(intent.id) ?? [];
    const back = refunded.get(intent.id) ?? 0;
    const attempt = intent.metadata.charge_attempt_id;
    if (held.length > 1) {
      findings.push(
        `${intent.id} held by ${held.length} bookings: ${held.map((b) => b.id).join(', ')}`,
      );
    } else if (held.length === 0 && back < intent.amount) {
      findings.push(
        `${intent.id} (${intent.amount}, booking ${intent.metadata.booking_id ?? '?'}) charged ` +
          `without a booking, ${back} refunded; attempt ${attemptState.get(attempt ?? '') ?? 'unrecorded'}`,
      );
    }
  }
  const made = new Set(succeeded.map((p) => p.id));
  for (const b of bookings) {
    if (b.payment_intent_id !== null && !made.has(b.payment_intent_id)) {
      findings.push(`booking ${b.id} holds ${b.payment_intent_id}, not a charge Stripe made`);
    }
  }
  for (const [student, theirs] of groupBy(bookings, (b) => b.student_id)) {
    if (theirs.length > 1) findings.push(`student ${student} booked ${theirs.length} times`);
  }
  return findings;
}

/** The wallet's own invariant checker, run on one read-only snapshot of the wallet schema. */
async function checkLedger(client: Client): Promise<string[]> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query('SET LOCAL search_path TO wallet');
    const tx = {
      query: async (sql: string, params?: unknown[]) =>
        (await client.query(sql, params)).rows as unknown[],
    } as unknown as EntityManager;
    const report = await inspectLedger(tx, new Date());
    // Every kind the wallet's checker reports, whatever kinds it grows.
    const kinds = Object.entries(report.violations) as Array<
      [string, { count: number; first: unknown[] }]
    >;
    const findings = kinds
      .filter(([, v]) => v.count > 0)
      .map(
        ([kind, v]) => `ledger ${kind}: ${v.count}, first ${JSON.stringify(v.first.slice(0, 3))}`,
      );
    // Every checkout capture is told as wallet-debited once its booking-confirmed is consumed.
    const [untold] = (
      await client.query<{ count: string; first: string[] | null }>(
        `SELECT count(*) AS count, (array_agg(reference ORDER BY reference))[1:3] AS first
           FROM credit_reservations
          WHERE capture_transaction_id IS NOT NULL AND debit_announced_at IS NULL`,
      )
    ).rows;
    if (Number(untold.count) > 0) {
      findings.push(
        `checkout captures never told as wallet-debited: ${untold.count}, first ${JSON.stringify(untold.first)}`,
      );
    }
    // Every booking paid partly by credit holds exactly that credit, captured while the booking
    // stands, given back once it was cancelled.
    const paidByCredit = (
      await client.query<{
        id: string;
        status: string;
        benefit_cents: string;
        holds: Array<{ status: string; credit_cents: number }>;
      }>(
        `SELECT b.id, b.status, b.benefit_cents::text,
                coalesce(jsonb_agg(jsonb_build_object('status', r.status,
                                                      'credit_cents', r.credit_cents))
                           FILTER (WHERE r.reference IS NOT NULL), '[]') AS holds
           FROM bookings.bookings b
           LEFT JOIN wallet.credit_reservations r ON r.booking_id = b.id
          WHERE b.benefit_kind = 'wallet_credit'
          GROUP BY b.id, b.status, b.benefit_cents`,
      )
    ).rows;
    for (const b of paidByCredit) {
      const wanted = b.status === 'cancelled' ? ['refunded', 'released'] : ['captured'];
      const [hold] = b.holds;
      if (
        b.holds.length !== 1 ||
        !wanted.includes(hold.status) ||
        Number(hold.credit_cents) !== Number(b.benefit_cents)
      ) {
        findings.push(
          `booking ${b.id} (${b.status}, ${b.benefit_cents} credit) holds ${JSON.stringify(b.holds)}`,
        );
      }
    }
    return findings;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** A cheap snapshot of progress, to tell when the platform has gone quiet. */
export interface Progress {
  fingerprint: string;
  /**
   * Every referred instructor's completed lesson has a paid bonus, every booked checkout's wallet
   * hold is captured and told (or given back), nothing is left to publish.
   */
  settled: boolean;
  /** Pending payouts not due yet (a crashed attempt's lease, a retry delay): worth waiting for. */
  nextPayoutAttemptAt: Date | null;
  /** Card charges not yet settled as booked or refunded: the reconciliation job will move them. */
  openCharges: number;
  summary: string;
}

export async function readProgress(client: Client, stripeTransfers: number): Promise<Progress> {
  const outboxSums = DATA_SERVICES.map(
    (s) =>
      `(SELECT count(*) FROM ${s}.outbox_messages WHERE published_at IS NULL)` +
      ` + (SELECT count(*) FROM ${s}.outbox_replays)`,
  ).join(' + ');
  const inboxSums = DATA_SERVICES.map((s) => `(SELECT count(*) FROM ${s}.inbox_messages)`).join(
    ' + ',
  );
  const [row] = await rows<Record<string, string | Date | null>>(
    client,
    `SELECT
       (SELECT count(DISTINCT b.instructor_id) FROM bookings.bookings b
          JOIN bookings.accounts a ON a.id = b.instructor_id
         WHERE b.status = 'completed' AND a.referral_code IS NOT NULL) AS owed,
       (SELECT count(*) FROM referrals.instructor_referrals WHERE status = 'paid') AS paid,
       (SELECT count(*) FROM referrals.instructor_referrals) AS referrals,
       (SELECT count(*) FROM payouts.payouts) AS payouts,
       (SELECT count(*) FROM payouts.payouts WHERE status = 'paid') AS payouts_paid,
       (SELECT count(*) FROM payouts.payouts WHERE status = 'pending_transfer') AS payouts_pending,
       (SELECT count(*) FROM payouts.transfer_attempts) AS attempts,
       (SELECT min(next_attempt_at) FROM payouts.payouts WHERE status = 'pending_transfer') AS next_attempt,
       (SELECT count(*) FROM bookings.charge_attempts WHERE state = 'charging') AS charging,
       (SELECT count(*) FROM wallet.credit_reservations r
          JOIN bookings.bookings b ON b.id = r.booking_id
         WHERE r.status = 'held'
            OR (r.status = 'captured' AND r.debit_announced_at IS NULL)) AS holds,
       ${outboxSums} AS backlog,
       ${inboxSums} AS inbox`,
  );
  const n = (key: string): number => Number(row[key]);
  const fingerprint = [
    'owed',
    'paid',
    'referrals',
    'payouts',
    'payouts_paid',
    'attempts',
    'charging',
    'holds',
    'backlog',
    'inbox',
  ]
    .map((k) => n(k))
    .concat(stripeTransfers)
    .join('/');
  return {
    fingerprint,
    settled:
      n('owed') === n('paid') &&
      n('payouts_paid') === n('paid') &&
      n('payouts_pending') === 0 &&
      n('charging') === 0 &&
      n('holds') === 0 &&
      n('backlog') === 0,
    nextPayoutAttemptAt: (row.next_attempt as Date | null) ?? null,
    openCharges: n('charging'),
    summary:
      `owed ${n('owed')}, referrals paid ${n('paid')}, payouts paid ${n('payouts_paid')}` +
      ` pending ${n('payouts_pending')}, transfers ${stripeTransfers}, card charges open` +
      ` ${n('charging')}, wallet holds open ${n('holds')}, outbox backlog ${n('backlog')}`,
  };
}
