import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { accountKeyOf } from '../ledger/ledger-accounts';
import { PreparedTransaction } from '../ledger/ledger-insert';
import { PostTransaction } from '../ledger/post-transaction';
import { captureCommand, heldCaptureLegs } from './capture-reservation.usecase';
import { CaptureRun } from './capture-run-locks';
import { CaptureStatements } from './capture-statements';
import { CreditReservation } from './credit-reservation';

/**
 * Captures the plainly held reservations of a run whose prelude (CaptureRunLocks) locked them
 * and their reserved accounts, all in one statement whatever their number: each one's legs are
 * the ones CaptureReservation posts for it, checked in code against the balances the prelude
 * read under its locks, as each capture before it in the run leaves them. Everything else (a
 * lapsed hold, a released one, one captured already, one whose ledger key was taken) is left to
 * CaptureReservation, one at a time, as before.
 */
@Injectable()
export class CaptureHeldReservations {
  constructor(
    private readonly postTransaction: PostTransaction,
    private readonly statements: CaptureStatements,
    private readonly clock: Clock,
  ) {}

  /** The reservations of the run captured here, as they are now, by reference. */
  async execute(tx: EntityManager, run: CaptureRun): Promise<Map<string, CreditReservation>> {
    const held = run.reservations.filter((r) => r.status === 'held');
    if (held.length === 0) return new Map();
    // The prelude read the platform accounts: once seen, they cost no statement here.
    const accounts = await this.postTransaction.accountsOf(
      tx,
      held.flatMap((r) => heldCaptureLegs(r).map((leg) => leg.account)),
      run.accounts,
    );
    const now = this.clock.now();
    const captures: Array<{ reference: string; prepared: PreparedTransaction }> = [];
    for (const r of held) {
      const command = captureCommand(r, heldCaptureLegs(r), now, accounts, false);
      const prepared = this.postTransaction.prepare(command, accounts);
      captures.push({ reference: r.reference, prepared });
      for (const leg of prepared.legs) moved(accounts, leg.account, leg.amountCents);
    }
    const written = await this.statements.writeCaptures(tx, captures);
    return new Map(
      held
        .map((r, i): [string, CreditReservation] => [
          r.reference,
          { ...r, status: 'captured', captureTransactionId: captures[i].prepared.transaction.id },
        ])
        .filter(([reference]) => written.has(reference)),
    );
  }
}

/** Moves the balance an account kept (a platform one keeps none) by a leg written after it. */
function moved(accounts: Map<string, LedgerAccount>, account: LedgerAccount, amountCents: number) {
  if (account.balanceCents === null) return;
  const key = accountKeyOf(account);
  const now = accounts.get(key) ?? account;
  accounts.set(
    key,
    Object.assign(new LedgerAccount(), now, {
      balanceCents: (now.balanceCents ?? 0) + amountCents,
    }),
  );
}
