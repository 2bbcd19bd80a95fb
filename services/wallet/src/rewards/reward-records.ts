import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';

type RewardStatus = 'open' | 'credited' | 'voided';

/** What the wallet knows of one reward, locked by whichever handler of it runs. */
export interface RewardRecord {
  rewardId: string;
  beneficiaryId: string;
  status: RewardStatus;
  creditTransactionId: string | null;
  voidTransactionId: string | null;
}

interface RewardRow {
  reward_id: string;
  beneficiary_id: string;
  status: RewardStatus;
  credit_transaction_id: string | null;
  void_transaction_id: string | null;
}

/**
 * The per-reward lock of the wallet. Each reward handler first makes sure the row exists (a
 * conflicting insert waits for the other transaction's insert to commit), then locks it, so the
 * unlock and the void of one reward run one after the other whatever partitions they came from.
 */
@Injectable()
export class RewardRecords {
  constructor(private readonly clock: Clock) {}

  /** Locks the reward's row until the transaction ends, creating it as `open` on first sight. */
  async lock(tx: EntityManager, rewardId: string, beneficiaryId: string): Promise<RewardRecord> {
    const now = this.clock.now();
    await tx.query(
      `INSERT INTO wallet_rewards (reward_id, beneficiary_id, status, created_at, updated_at)
       VALUES ($1, $2, 'open', $3, $3)
       ON CONFLICT (reward_id) DO NOTHING`,
      [rewardId, beneficiaryId, now],
    );
    const [row] = await tx.query<RewardRow[]>(
      `SELECT reward_id, beneficiary_id, status, credit_transaction_id, void_transaction_id
         FROM wallet_rewards WHERE reward_id = $1 FOR UPDATE`,
      [rewardId],
    );
    if (!row) throw new Error(`reward ${rewardId} could not be locked`);
    return {
      rewardId: row.reward_id,
      beneficiaryId: row.beneficiary_id,
      status: row.status,
      creditTransactionId: row.credit_transaction_id,
      voidTransactionId: row.void_transaction_id,
    };
  }

  /** Records what an earned reward will credit, while it is still open. */
  async markPending(
    tx: EntityManager,
    rewardId: string,
    amount: { amountCents: number; currency: string },
  ): Promise<void> {
    await tx.query(
      `UPDATE wallet_rewards SET pending_cents = $2, pending_currency = $3, updated_at = $4
        WHERE reward_id = $1 AND status = 'open'`,
      [rewardId, amount.amountCents, amount.currency, this.clock.now()],
    );
  }

  async markCredited(tx: EntityManager, rewardId: string, transactionId: string): Promise<void> {
    await tx.query(
      `UPDATE wallet_rewards SET status = 'credited', credit_transaction_id = $2, updated_at = $3
        WHERE reward_id = $1`,
      [rewardId, transactionId, this.clock.now()],
    );
  }

  /** A voided reward stays voided: a later unlock finds this tombstone and credits nothing. */
  async markVoided(
    tx: EntityManager,
    rewardId: string,
    reason: string,
    transactionId: string | null,
  ): Promise<void> {
    await tx.query(
      `UPDATE wallet_rewards
          SET status = 'voided', void_reason = $2, void_transaction_id = $3, updated_at = $4
        WHERE reward_id = $1`,
      [rewardId, reason, transactionId, this.clock.now()],
    );
  }
}
