import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import {
  ledgerInsertCtes,
  ledgerInsertManyCtes,
  PreparedTransaction,
} from '../ledger/ledger-insert';

/**
 * The statements a capture is made of, each doing in one round trip what would otherwise take
 * several, in the one lock order and only after the ledger's checks in code, as HoldStatements
 * says of a hold's.
 */
@Injectable()
export class CaptureStatements {
  constructor(private readonly clock: Clock) {}

  /**
   * Writes a capture in one statement: its ledger transaction with the postings, and the
   * reservation marked captured by it. False when the ledger key was taken (nothing written).
   */
  async writeCapture(
    tx: EntityManager,
    reference: string,
    prepared: PreparedTransaction,
    shortfall: { creditCents: number; feeRebateCents: number },
  ): Promise<boolean> {
    const ledger = ledgerInsertCtes(prepared);
    const [{ captured }] = await tx.query<Array<{ captured: number }>>(
      `WITH ${ledger.sql}, captured AS (
         UPDATE credit_reservations
            SET status = 'captured', capture_transaction_id = t.id, credit_shortfall_cents = $12,
                fee_rebate_shortfall_cents = $13, updated_at = $14
           FROM t
          WHERE reference = $11
         RETURNING reference
       )
       SELECT count(*)::int AS captured FROM captured`,
      [
        ...ledger.params,
        reference,
        shortfall.creditCents,
        shortfall.feeRebateCents,
        this.clock.now(),
      ],
    );
    return captured > 0;
  }

  /**
   * Writes the captures of several holds in one statement: each one's ledger transaction with its
   * postings, and its reservation marked captured by it, no shortfall. Answers the references
   * captured; one whose ledger key was taken is left out, nothing of it written.
   */
  async writeCaptures(
    tx: EntityManager,
    captures: Array<{ reference: string; prepared: PreparedTransaction }>,
  ): Promise<Set<string>> {
    if (captures.length === 0) return new Set();
    const ledger = ledgerInsertManyCtes(captures.map((c) => c.prepared));
    const rows = await tx.query<Array<{ reference: string }>>(
      `WITH ${ledger.sql}, captured AS (
         UPDATE credit_reservations c
            SET status = 'captured', capture_transaction_id = w.transaction_id,
                credit_shortfall_cents = 0, fee_rebate_shortfall_cents = 0, updated_at = $14
           FROM unnest($12::text[], $13::uuid[]) AS w(reference, transaction_id)
           JOIN t ON t.id = w.transaction_id
          WHERE c.reference = w.reference
         RETURNING c.reference
       )
       SELECT reference FROM captured`,
      [
        ...ledger.params,
        captures.map((c) => c.reference),
        captures.map((c) => c.prepared.transaction.id),
        this.clock.now(),
      ],
    );
    return new Set(rows.map((r) => r.reference));
  }
}
