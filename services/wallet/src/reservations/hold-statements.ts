import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import {
  LedgerAccount,
  LedgerAccountKind,
  movesTowardBound,
  withinBound,
} from '../ledger/ledger-account.entity';
import { AccountRow, accountFromRow, accountKeyOf } from '../ledger/ledger-accounts';
import {
  DraftTransaction,
  ledgerInsertCtes,
  ledgerInsertOfRefsCtes,
  PreparedTransaction,
} from '../ledger/ledger-insert';
import { AccountRef } from '../ledger/legs';
import { lotTakeCtes } from '../lots/credit-lots';
import { CreditReservation, fromRow, NewReservation, ReservationRow } from './credit-reservation';

/** Whether an account of this kind keeps a balance of zero or more: the only bound a hold meets. */
function keptNonNegative(kind: LedgerAccountKind): boolean {
  return movesTowardBound(kind, -1) && !withinBound(kind, -1);
}

/**
 * The CTE `held`: inserts `r` as held, reserved by the transaction `t` inserted (no row when `t`
 * has none). Its parameters are numbered from `first`, in the order of `params`; `credit`,
 * `reference` and `currency` are theirs, for the statement's other CTEs to name.
 */
function heldReservationCte(
  r: Omit<NewReservation, 'reserveTransactionId'>,
  now: Date,
  first: number,
): { sql: string; params: unknown[]; credit: string; reference: string; currency: string } {
  const [credit, reference, booking, student, instructor, rebate, currency, expires, at] =
    Array.from({ length: 9 }, (_, i) => `$${first + i}`);
  return {
    sql: `held AS (
         INSERT INTO credit_reservations (reference, booking_id, student_id, credit_cents,
           instructor_id, fee_rebate_cents, currency, status, expires_at, reserve_transaction_id,
           created_at, updated_at)
         SELECT ${reference}, ${booking}, ${student}, ${credit}::bigint, ${instructor}, ${rebate},
                ${currency}, 'held', ${expires}, t.id, ${at}, ${at} FROM t
         RETURNING *
       )`,
    params: [
      r.creditCents,
      r.reference,
      r.bookingId,
      r.studentId,
      r.instructorId,
      r.feeRebateCents,
      r.currency,
      r.expiresAt,
      now,
    ],
    credit: `${credit}::bigint`,
    reference,
    currency,
  };
}

/** What a hold finds under its first locks: the reservation if one exists, else the accounts. */
export interface HoldLocks {
  reservation: CreditReservation | null;
  /** The user accounts asked for that exist, by accountRefKey. */
  accounts: Map<string, LedgerAccount>;
  /** Whether they were all found and locked (none is locked when one is missing). */
  locked: boolean;
}

/**
 * The statements a hold is made of, each doing in one round trip what would otherwise take
 * several: every round trip is a message each way between two busy processes. They keep the one
 * lock order (the reservation by reference, then user accounts by id, then lots) and write
 * nothing the ledger's checks in code have not passed first. A capture's are CaptureStatements.
 */
@Injectable()
export class HoldStatements {
  constructor(private readonly clock: Clock) {}

  /**
   * Locks the reservation `reference` and, when there is none, the user accounts `refs` in id
   * order with their balances, all or none (LedgerAccounts.findAndLockAll): the accounts are
   * looked for only once the reservation's lock is taken, so a replay locks no account.
   */
  async lockForHold(tx: EntityManager, reference: string, refs: AccountRef[]): Promise<HoldLocks> {
    if (refs.some((ref) => ref.ownerId === null)) {
      throw new Error('a hold locks user accounts only');
    }
    const [row] = await tx.query<
      Array<ReservationRow & { locked: AccountRow[]; found: AccountRow[] }>
    >(
      `WITH r AS MATERIALIZED (
         SELECT * FROM credit_reservations WHERE reference = $1 FOR UPDATE
       ), users AS MATERIALIZED (
         SELECT a.id FROM ledger_accounts a
           JOIN unnest($2::uuid[], $3::text[], $4::bpchar[]) AS w(owner_id, kind, currency)
             ON a.owner_id = w.owner_id AND a.kind = w.kind AND a.currency = w.currency
          WHERE NOT EXISTS (SELECT 1 FROM r)
       ), locked AS MATERIALIZED (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents::text
           FROM ledger_accounts a
          WHERE a.id IN (SELECT id FROM users)
            AND (SELECT count(*) FROM users) = cardinality($2::uuid[])
          ORDER BY a.id
            FOR UPDATE OF a
       ), found AS (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents::text
           FROM ledger_accounts a
          WHERE a.id IN (SELECT id FROM users)
            AND (SELECT count(*) FROM users) < cardinality($2::uuid[])
       )
       SELECT r.*,
              (SELECT coalesce(jsonb_agg(locked), '[]') FROM locked) AS locked,
              (SELECT coalesce(jsonb_agg(found), '[]') FROM found) AS found
         FROM (VALUES (1)) AS one(n) LEFT JOIN r ON true`,
      [reference, refs.map((r) => r.ownerId), refs.map((r) => r.kind), refs.map((r) => r.currency)],
    );
    if (row.reference !== null) {
      return { reservation: fromRow(row), accounts: new Map(), locked: false };
    }
    const accounts = [...row.locked, ...row.found].map(accountFromRow);
    return {
      reservation: null,
      accounts: new Map(accounts.map((a) => [accountKeyOf(a), a])),
      locked: row.locked.length === refs.length,
    };
  }

  /**
   * Writes a hold in one statement: the ledger transaction with its postings, the credit taken
   * from the student's lots (soonest-expiring first; `creditAccountId` is null when no credit is
   * held) and the held reservation. Null when a concurrent hold took the ledger key first
   * (nothing written). Refuses when the lots hold less than the credit, as CreditLots.take does.
   */
  async writeHold(
    tx: EntityManager,
    r: NewReservation,
    prepared: PreparedTransaction,
    creditAccountId: string | null,
  ): Promise<CreditReservation | null> {
    const ledger = ledgerInsertCtes(prepared);
    // $11 is the credit account; the reservation's parameters follow it.
    const held = heldReservationCte(r, this.clock.now(), 12);
    const lots = lotTakeCtes({
      accountId: '$11::uuid',
      preferredLotId: 'NULL::uuid',
      amountCents: held.credit,
      transactionId: '(SELECT id FROM t)',
      when: 'EXISTS (SELECT 1 FROM t)',
    });
    const [row] = await tx.query<Array<ReservationRow & { taken_cents: string }>>(
      `WITH ${ledger.sql}, ${lots}, ${held.sql}
       SELECT held.*, (SELECT coalesce(sum(amount_cents), 0)::text FROM taken) AS taken_cents
         FROM held`,
      [...ledger.params, creditAccountId, ...held.params],
    );
    if (!row) return null;
    const took = Number(row.taken_cents);
    if (took < r.creditCents) {
      throw new Error(`credit lots hold ${took} cents, ${r.creditCents} to take`);
    }
    return fromRow(row);
  }

  /**
   * The common hold in one statement, sent outside any transaction (a statement is atomic): when
   * no reservation has `r.reference` and every user account of the draft exists, it locks them in
   * id order with their balances, then the credit account's lots; and when every balance stays
   * within its bound and the lots hold the credit, writes what writeHold writes. The balance
   * trigger then moves only accounts locked already. Null when it wrote nothing, for the caller's
   * full path to answer: a replay, an account to open, too little credit (or lots committed after
   * the statement began, which it cannot see), or a concurrent hold that took the ledger key.
   */
  async holdAtOnce(
    db: EntityManager,
    r: Omit<NewReservation, 'reserveTransactionId'>,
    draft: DraftTransaction,
  ): Promise<CreditReservation | null> {
    if (draft.netByAccount.some(({ account }) => !keptNonNegative(account.kind))) {
      throw new Error('a hold moves only accounts kept non-negative');
    }
    // The reservation's parameters follow the ledger's; the accounts' nets follow them, from $20.
    const held = heldReservationCte(r, this.clock.now(), 11);
    const ledger = ledgerInsertOfRefsCtes(draft, {
      accounts: 'locked',
      when: `(SELECT ok FROM funded) AND (SELECT cents FROM lots_held) >= ${held.credit}`,
    });
    const lots = lotTakeCtes({
      accountId: `(SELECT id FROM locked WHERE kind = 'user_credit')`,
      preferredLotId: 'NULL::uuid',
      amountCents: held.credit,
      transactionId: '(SELECT id FROM t)',
      when: 'EXISTS (SELECT 1 FROM t)',
    });
    const net = draft.netByAccount;
    // Each step reads the one before it whole (a count, an aggregate, a condition without
    // columns), so they run in order: the accounts locked, then the lots, then the writes. That
    // is the order of every other writer (reservations, then user accounts in id order, then
    // lots), less the reservation, which does not exist yet and is only inserted, after the
    // ledger key: another inserter of that key or reference holds the same reference, and waits
    // for the accounts we hold or holds them. The postings' trigger moves only accounts locked
    // here, so it waits for none. Hence no deadlock. The balances are the rows' latest versions
    // (a row lock reads them), the rest is the statement's snapshot, taken before any wait.
    const [row] = await db.query<ReservationRow[]>(
      `WITH replay AS MATERIALIZED (
         SELECT EXISTS (SELECT 1 FROM credit_reservations
                         WHERE reference = ${held.reference}) AS found
       ), wanted AS (
         SELECT * FROM unnest($20::uuid[], $21::text[], $22::bigint[]) AS w(owner_id, kind, net)
       ), users AS MATERIALIZED (
         SELECT a.id FROM ledger_accounts a
           JOIN wanted w ON a.owner_id = w.owner_id AND a.kind = w.kind
                        AND a.currency = ${held.currency}
          WHERE NOT (SELECT found FROM replay)
       ), locked AS MATERIALIZED (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.balance_cents
           FROM ledger_accounts a
          WHERE a.id IN (SELECT id FROM users)
            AND (SELECT count(*) FROM users) = cardinality($20::uuid[])
          ORDER BY a.id
            FOR UPDATE OF a
       ), funded AS MATERIALIZED (
         SELECT count(*) = cardinality($20::uuid[])
                AND coalesce(bool_and(w.net >= 0 OR a.balance_cents + w.net >= 0), false) AS ok
           FROM locked a JOIN wanted w ON a.owner_id = w.owner_id AND a.kind = w.kind
       ), lots_held AS MATERIALIZED (
         SELECT coalesce(sum(l.remaining_cents), 0) AS cents
           FROM (SELECT remaining_cents FROM credit_lots
                  WHERE account_id = (SELECT id FROM locked WHERE kind = 'user_credit')
                    AND remaining_cents > 0 AND (SELECT ok FROM funded)
                  ORDER BY expires_at, id
                    FOR UPDATE) l
       ), ${ledger.sql}, ${lots}, ${held.sql}
       SELECT * FROM held`,
      [
        ...ledger.params,
        ...held.params,
        net.map((n) => n.account.ownerId),
        net.map((n) => n.account.kind),
        net.map((n) => n.amountCents),
      ],
    );
    return row ? fromRow(row) : null;
  }
}
