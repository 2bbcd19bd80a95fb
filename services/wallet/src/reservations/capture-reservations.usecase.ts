import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { WalletError } from '../wallet-error';
import { CaptureAtOnce } from './capture-at-once.statement';
import { CaptureHeldReservations } from './capture-held-reservations.usecase';
import { CaptureReservation } from './capture-reservation.usecase';
import { CaptureRunLocks } from './capture-run-locks';
import { reservationView, ReservationView } from './credit-reservation';

/** What capturing one reference of a batch came to. */
export type CaptureOutcome =
  | { reference: string; outcome: 'captured'; reservation: ReservationView }
  | {
      reference: string;
      outcome: 'refused';
      code: 'RESERVATION_NOT_FOUND' | 'RESERVATION_RELEASED';
      message: string;
    };

/**
 * Captures checkout's holds a batch at a time, in one transaction: the holds and the accounts
 * their captures move are locked first (CaptureRunLocks, as a booking-confirmed run locks them),
 * then the plainly held ones are captured together in one statement (CaptureHeldReservations)
 * and any other as alone. A hold that cannot be captured is refused on its own line and the
 * others still are; a hold captured already is answered as it is, at no further statement.
 */
@Injectable()
export class CaptureReservations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly atOnce: CaptureAtOnce,
    private readonly locks: CaptureRunLocks,
    private readonly captureHeld: CaptureHeldReservations,
    private readonly capture: CaptureReservation,
  ) {}

  /**
   * A batch as checkout sends it. The common one (every reference plainly held) is one statement
   * outside any transaction (CaptureAtOnce); when that writes nothing, execute answers the
   * batch whole in a transaction of its own, as it always has: a replay, a refusal, a lapsed
   * hold, or what a concurrent writer changed while the statement waited.
   */
  async captureBatch(references: string[]): Promise<CaptureOutcome[]> {
    const captured = await this.atOnce.capture(this.dataSource.manager, references);
    if (captured) {
      return captured.map((r) => ({
        reference: r.reference,
        outcome: 'captured',
        reservation: reservationView(r),
      }));
    }
    return this.dataSource.transaction((tx) => this.execute(tx, references));
  }

  async execute(tx: EntityManager, references: string[]): Promise<CaptureOutcome[]> {
    const run = await this.locks.ofReferences(tx, references);
    const found = new Map(run.reservations.map((r) => [r.reference, r]));
    // In the batch's order: a balance too low for one is told as capturing one at a time would.
    const held = await this.captureHeld.execute(tx, {
      reservations: references.flatMap((reference) => found.get(reference) ?? []),
      accounts: run.accounts,
    });
    const outcomes: CaptureOutcome[] = [];
    for (const reference of references) {
      const r = held.get(reference) ?? found.get(reference);
      if (!r) {
        // Not asked again: a lock taken now would come after the accounts'.
        outcomes.push({
          reference,
          outcome: 'refused',
          code: 'RESERVATION_NOT_FOUND',
          message: `no reservation ${reference}`,
        });
      } else if (r.status === 'captured' || r.status === 'refunded') {
        outcomes.push({ reference, outcome: 'captured', reservation: reservationView(r) });
      } else {
        outcomes.push(await this.captureOne(tx, reference));
      }
    }
    return outcomes;
  }

  private async captureOne(tx: EntityManager, reference: string): Promise<CaptureOutcome> {
    try {
      const captured = await this.capture.execute(tx, reference);
      return { reference, outcome: 'captured', reservation: reservationView(captured) };
    } catch (err) {
      // Refused in code before any write: the transaction goes on with the other holds.
      if (!(err instanceof WalletError) || err.code !== 'RESERVATION_RELEASED') throw err;
      return { reference, outcome: 'refused', code: err.code, message: err.message };
    }
  }
}
