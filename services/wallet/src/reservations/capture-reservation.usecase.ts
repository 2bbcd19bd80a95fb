import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { AccountRef, accountRefKey, Leg, platformAccount, userAccount } from '../ledger/legs';
import { PostTransaction, PostTransactionCommand } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';
import { WalletError } from '../wallet-error';
import { CaptureStatements } from './capture-statements';
import { CreditReservation, CreditReservations } from './credit-reservation';
import { captureKey } from './reservation-keys';

/** What a capture after a lapsed hold can take now, and what it leaves owed. */
export function planLateCapture(
  heldCents: number,
  availableCents: number,
): { takeCents: number; owedCents: number } {
  const takeCents = Math.max(0, Math.min(heldCents, availableCents));
  return { takeCents, owedCents: heldCents - takeCents };
}

/**
 * A confirmed booking takes what its checkout held: from the reserved accounts to the platform.
 * Capturing twice changes nothing. A hold that lapsed (released by the expiry job) before its
 * booking's confirmation arrived is captured from what the owner has now, the rest becoming
 * debt their next credit pays back: a confirmed booking is always paid for. A hold released
 * because the booking was cancelled or never confirmed is refused.
 */
@Injectable()
export class CaptureReservation {
  private readonly logger = new Logger(CaptureReservation.name);

  constructor(
    private readonly reservations: CreditReservations,
    private readonly statements: CaptureStatements,
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly clock: Clock,
  ) {}

  async execute(tx: EntityManager, reference: string): Promise<CreditReservation> {
    // The hold and the reserved accounts it moves, locked in one statement.
    const locked = await this.reservations.lockWithHolds(tx, reference);
    if (!locked) throw new WalletError('RESERVATION_NOT_FOUND', `no reservation ${reference}`);
    const { reservation: r, holds } = locked;
    if (r.status === 'captured' || r.status === 'refunded') return r;
    if (r.status === 'released' && r.releaseReason !== 'expired') {
      throw new WalletError(
        'RESERVATION_RELEASED',
        `reservation ${reference} was released (${r.releaseReason ?? 'unknown'}); it cannot be captured`,
      );
    }
    const late = r.status === 'released';
    // A lapsed hold is taken from what its owners have now: their accounts are locked and read
    // in one sorted statement before the plan is made.
    const owners = late ? await this.accounts.findAndLock(tx, lateRefs(r)) : holds;
    const { legs, shortfall } = late
      ? lateCapture(owners, r)
      : { legs: heldCaptureLegs(r), shortfall: { creditCents: 0, feeRebateCents: 0 } };
    const command = captureCommand(r, legs, this.clock.now(), owners, late);
    if (!late) {
      // A held capture: the ledger transaction and the row marked captured in one statement.
      const accounts = await this.postTransaction.accountsOf(
        tx,
        legs.map((l) => l.account),
        owners,
      );
      const prepared = this.postTransaction.prepare(command, accounts);
      if (await this.statements.writeCapture(tx, reference, prepared, shortfall)) {
        return { ...r, status: 'captured', captureTransactionId: prepared.transaction.id };
      }
    }
    // A lapsed hold (its lots taken between the two writes), or a key taken meanwhile: the
    // posting answers the transaction that holds the key.
    const posted = await this.postTransaction.execute(tx, { ...command, unusedKey: late });
    if (posted.created && late) {
      const taken = r.creditCents - shortfall.creditCents;
      if (taken > 0) {
        const credit = posted.accounts?.get(
          accountRefKey(userAccount('user_credit', r.studentId, r.currency)),
        );
        if (!credit) throw new Error(`credit account of ${r.studentId} was not posted to`);
        await this.lots.take(tx, credit.id, posted.transaction.id, taken);
      }
      this.logger.warn({ message: 'captured after the hold lapsed', reference, ...shortfall });
    }
    await this.reservations.markCaptured(tx, reference, posted.transaction.id, shortfall);
    return { ...r, status: 'captured', captureTransactionId: posted.transaction.id };
  }
}

/**
 * The ledger transaction capturing `r`: its row, locked and neither captured nor refunded, says
 * no capture was posted yet (a concurrent post of the key is still caught by the insert).
 */
export function captureCommand(
  r: CreditReservation,
  legs: Leg[],
  occurredAt: Date,
  lockedAccounts: ReadonlyMap<string, LedgerAccount>,
  late: boolean,
): PostTransactionCommand {
  return {
    idempotencyKey: captureKey(r.reference),
    kind: 'checkout_capture',
    sourceId: r.bookingId,
    occurredAt,
    legs,
    note: late ? 'captured after the hold lapsed' : null,
    unusedKey: true,
    lockedAccounts,
  };
}

/** What capturing a hold moves: each held amount from its reserved account to the platform. */
export function heldCaptureLegs(r: CreditReservation): Leg[] {
  const legs: Leg[] = [];
  if (r.creditCents > 0) {
    legs.push(
      {
        account: userAccount('user_reserved', r.studentId, r.currency),
        amountCents: -r.creditCents,
      },
      {
        account: platformAccount('platform_credit_redeemed', r.currency),
        amountCents: r.creditCents,
      },
    );
  }
  if (r.feeRebateCents > 0 && r.instructorId !== null) {
    legs.push(
      {
        account: userAccount('user_reserved', r.instructorId, r.currency),
        amountCents: -r.feeRebateCents,
      },
      {
        account: platformAccount('platform_fee_rebate_redeemed', r.currency),
        amountCents: r.feeRebateCents,
      },
    );
  }
  return legs;
}

/**
 * What capturing a lapsed hold moves: what its owners have now of each held amount, the rest
 * taken as debt.
 */
function lateCapture(
  owners: ReadonlyMap<string, LedgerAccount>,
  r: CreditReservation,
): { legs: Leg[]; shortfall: { creditCents: number; feeRebateCents: number } } {
  const legs: Leg[] = [];
  const shortfall = { creditCents: 0, feeRebateCents: 0 };
  if (r.creditCents > 0) {
    const from = lateLegs(owners, r.studentId, 'user_credit', r, r.creditCents);
    shortfall.creditCents = from.owedCents;
    legs.push(...from.legs, {
      account: platformAccount('platform_credit_redeemed', r.currency),
      amountCents: r.creditCents,
    });
  }
  if (r.feeRebateCents > 0 && r.instructorId !== null) {
    const from = lateLegs(owners, r.instructorId, 'user_fee_rebate', r, r.feeRebateCents);
    shortfall.feeRebateCents = from.owedCents;
    legs.push(...from.legs, {
      account: platformAccount('platform_fee_rebate_redeemed', r.currency),
      amountCents: r.feeRebateCents,
    });
  }
  return { legs, shortfall };
}

/** The accounts a capture of a lapsed hold takes from, or leaves owing. */
export function lateRefs(r: CreditReservation): AccountRef[] {
  const refs: AccountRef[] = [];
  if (r.creditCents > 0) {
    refs.push(
      userAccount('user_credit', r.studentId, r.currency),
      userAccount('user_debt', r.studentId, r.currency),
    );
  }
  if (r.feeRebateCents > 0 && r.instructorId !== null) {
    refs.push(
      userAccount('user_fee_rebate', r.instructorId, r.currency),
      userAccount('user_debt', r.instructorId, r.currency),
    );
  }
  return refs;
}

/** Takes what the owner has now of the kind (an account not opened has nothing); the rest is owed. */
function lateLegs(
  locked: ReadonlyMap<string, LedgerAccount>,
  ownerId: string,
  kind: 'user_credit' | 'user_fee_rebate',
  r: CreditReservation,
  heldCents: number,
): { legs: Leg[]; owedCents: number } {
  const ref = userAccount(kind, ownerId, r.currency);
  const plan = planLateCapture(heldCents, locked.get(accountRefKey(ref))?.balanceCents ?? 0);
  const legs: Leg[] = [];
  if (plan.takeCents > 0) legs.push({ account: ref, amountCents: -plan.takeCents });
  if (plan.owedCents > 0) {
    legs.push({
      account: userAccount('user_debt', ownerId, r.currency),
      amountCents: -plan.owedCents,
    });
  }
  return { legs, owedCents: plan.owedCents };
}
