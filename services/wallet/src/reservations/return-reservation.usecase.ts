import { Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxEvent, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { SettleDebt } from '../debt/settle-debt';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { AccountRef, accountRefKey, Leg, platformAccount, userAccount } from '../ledger/legs';
import { PostTransaction } from '../ledger/post-transaction';
import { addMonths } from '../lots/credit-expiry';
import { CreditLots, LotTake } from '../lots/credit-lots';
import { WalletError } from '../wallet-error';
import { AnnounceCaptures } from './announce-captures';
import { CreditReservation, CreditReservations, ReturnReason } from './credit-reservation';
import { refundKey, releaseKey } from './reservation-keys';

/**
 * Gives a checkout's money back: a held reservation is released, a captured one refunded, each
 * a ledger transaction. Credit goes back into the lots it came from with their expiry dates; the
 * part whose lots expired meanwhile goes to expired credit, as it would have unspent. What a
 * late capture left owed comes back as new credit, and pays the debt first. Returning twice
 * changes nothing. A refund is told as wallet-credited events (what came back to each owner's
 * wallet), after the capture's wallet-debited ones when nothing told those yet; a release tells
 * nothing, as a hold was never told as spent.
 */
@Injectable()
export class ReturnReservation {
  constructor(
    private readonly reservations: CreditReservations,
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly settleDebt: SettleDebt,
    private readonly config: WalletConfig,
    private readonly announce: AnnounceCaptures,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async execute(
    tx: EntityManager,
    reference: string,
    reason: ReturnReason,
  ): Promise<CreditReservation> {
    const r = await this.reservations.lock(tx, reference);
    if (!r) throw new WalletError('RESERVATION_NOT_FOUND', `no reservation ${reference}`);
    if (r.status === 'released' || r.status === 'refunded') return r;
    // The sweep only lets go of holds; a booking confirmed meanwhile keeps what it captured.
    if (reason === 'expired' && r.status !== 'held') return r;
    const refund = r.status === 'captured';
    const now = this.clock.now();
    const credit = userAccount('user_credit', r.studentId, r.currency);
    // Every user account the return moves (and the debt it may pay back) locked at once, in the
    // one sorted order every ledger write takes; the credit account before its lots, as every
    // debit takes them.
    const locked = await this.accounts.findAndLock(tx, returnedRefs(r, refund));
    const creditAccount =
      locked.get(accountRefKey(credit)) ?? (await this.accounts.findOrOpen(tx, credit));
    const taken: Array<{ from: string; live: LotTake[]; expired: LotTake[] }> = [];
    for (const from of [r.reserveTransactionId, r.captureTransactionId]) {
      if (from !== null) taken.push({ from, ...(await this.lots.takenBy(tx, from, now)) });
    }
    const sum = (takes: LotTake[]) => takes.reduce((s, t) => s + t.amountCents, 0);
    const liveCents = sum(taken.flatMap((t) => t.live));
    const expiredCents = sum(taken.flatMap((t) => t.expired));
    // Only a late capture leaves credit that no lot holds: what it could not take was owed.
    const freshCents = refund ? r.creditShortfallCents : 0;
    if (r.creditCents > 0 && liveCents + expiredCents + freshCents !== r.creditCents) {
      throw new Error(
        `reservation ${reference}: lots hold ${liveCents + expiredCents + freshCents} of ${r.creditCents}`,
      );
    }

    const legs: Leg[] = [];
    if (r.creditCents > 0) {
      legs.push({
        account: refund
          ? platformAccount('platform_credit_redeemed', r.currency)
          : userAccount('user_reserved', r.studentId, r.currency),
        amountCents: -r.creditCents,
      });
      if (liveCents + freshCents > 0)
        legs.push({ account: credit, amountCents: liveCents + freshCents });
      if (expiredCents > 0) {
        legs.push({
          account: platformAccount('platform_expired_credit', r.currency),
          amountCents: expiredCents,
        });
      }
    }
    if (r.feeRebateCents > 0 && r.instructorId !== null) {
      legs.push(
        {
          account: refund
            ? platformAccount('platform_fee_rebate_redeemed', r.currency)
            : userAccount('user_reserved', r.instructorId, r.currency),
          amountCents: -r.feeRebateCents,
        },
        {
          account: userAccount('user_fee_rebate', r.instructorId, r.currency),
          amountCents: r.feeRebateCents,
        },
      );
    }
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: refund ? refundKey(reference) : releaseKey(reference),
      kind: refund ? 'checkout_refund' : 'checkout_release',
      sourceId: r.bookingId,
      occurredAt: now,
      legs,
      note: expiredCents > 0 ? `${expiredCents} ${r.currency} expired while held` : null,
      // The row, locked and not yet returned, says no release or refund was posted.
      unusedKey: true,
      lockedAccounts: locked,
    });
    if (posted.created) {
      for (const { from, ...lots } of taken) {
        await this.lots.giveBack(tx, posted.transaction.id, from, lots);
      }
      if (freshCents > 0) {
        await this.lots.open(tx, {
          accountId: creditAccount.id,
          ownerId: r.studentId,
          rewardId: null,
          transactionId: posted.transaction.id,
          currency: r.currency,
          amountCents: freshCents,
          unlockedAt: now,
          expiresAt: addMonths(now, this.config.CREDIT_LIFETIME_MONTHS),
        });
      }
    }
    const status = refund ? 'refunded' : 'released';
    await this.reservations.markReturned(tx, reference, status, posted.transaction.id, reason);
    if (posted.created && refund) {
      const credited = (ownerId: string, amountCents: number): OutboxEvent => ({
        topic: Topics.WalletCredited,
        key: ownerId,
        payload: {
          transactionId: posted.transaction.id,
          ownerId,
          amount: { amountCents, currency: r.currency },
          sourceId: r.bookingId,
          creditedAt: now.toISOString(),
        },
        context: { occurredAt: now },
      });
      const events = await this.announce.claim(tx, [r]);
      if (liveCents + freshCents > 0) events.push(credited(r.studentId, liveCents + freshCents));
      if (r.feeRebateCents > 0 && r.instructorId !== null) {
        events.push(credited(r.instructorId, r.feeRebateCents));
      }
      await this.outbox.addMany(tx, events);
    }
    if (posted.created && liveCents + freshCents > 0) {
      await this.settleDebt.execute(tx, {
        ownerId: r.studentId,
        currency: r.currency,
        sourceId: posted.transaction.id,
      });
    }
    return { ...r, status, returnTransactionId: posted.transaction.id, releaseReason: reason };
  }
}

/** The user accounts a return moves: the holds' or nothing (a refund), the credit, the debt. */
function returnedRefs(r: CreditReservation, refund: boolean): AccountRef[] {
  const refs = [
    userAccount('user_credit', r.studentId, r.currency),
    userAccount('user_debt', r.studentId, r.currency),
  ];
  if (!refund) refs.push(userAccount('user_reserved', r.studentId, r.currency));
  if (r.feeRebateCents > 0 && r.instructorId !== null) {
    refs.push(userAccount('user_fee_rebate', r.instructorId, r.currency));
    if (!refund) refs.push(userAccount('user_reserved', r.instructorId, r.currency));
  }
  return refs;
}
