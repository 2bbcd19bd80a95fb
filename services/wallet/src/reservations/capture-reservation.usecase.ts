import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { AccountRef, accountRefKey, Leg, platformAccount, userAccount } from '../ledger/legs';
import { PostTransaction, PostTransactionCommand } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';
import { WalletError } from '../wallet-error';
import { CreditReservation, CreditReservations } from './credit-reservation';
import { captureKey } from './reservation-keys';
import { ReservationStatements } from './reservation-statements';

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
    private readonly statements: ReservationStatements,
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
    const legs: Leg[] = [];
    const shortfall = { creditCents: 0, feeRebateCents: 0 };
    if (r.creditCents > 0) {
      const from = late
        ? lateLegs(owners, r.studentId, 'user_credit', r, r.creditCents)
        : { legs: [this.reserved(r.studentId, r, -r.creditCents)], owedCents: 0 };
      shortfall.creditCents = from.owedCents;
      legs.push(...from.legs, {
        account: platformAccount('platform_credit_redeemed', r.currency),
        amountCents: r.creditCents,
      });
    }
    if (r.feeRebateCents > 0 && r.instructorId !== null) {
      const from = late
        ? lateLegs(owners, r.instructorId, 'user_fee_rebate', r, r.feeRebateCents)
        : { legs: [this.reserved(r.instructorId, r, -r.feeRebateCents)], owedCents: 0 };
      shortfall.feeRebateCents = from.owedCents;
      legs.push(...from.legs, {
        account: platformAccount('platform_fee_rebate_redeemed', r.currency),
        amountCents: r.feeRebateCents,
      });
    }
    // The row, locked and neither captured nor refunded, says no capture was posted yet.
    const command: PostTransactionCommand = {
      idempotencyKey: captureKey(reference),
      kind: 'checkout_capture',
      sourceId: r.bookingId,
      occurredAt: this.clock.now(),
      legs,
      note: late ? 'captured after the hold lapsed' : null,
      unusedKey: true,
      lockedAccounts: owners,
    };
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

  private reserved(ownerId: string, r: CreditReservation, amountCents: number): Leg {
    return { account: userAccount('user_reserved', ownerId, r.currency), amountCents };
  }
}

/** The accounts a capture of a lapsed hold takes from, or leaves owing. */
function lateRefs(r: CreditReservation): AccountRef[] {
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
