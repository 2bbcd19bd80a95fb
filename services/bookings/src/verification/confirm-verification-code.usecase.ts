import { Inject, Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';
import { codeMatches, VerificationChannel } from './verification-code';
import { VerificationCode } from './verification-code.entity';

export interface VerificationState {
  emailVerified: boolean;
  phoneVerified: boolean;
}

/**
 * Checks a one-time code against the latest one sent on the channel. A right code is used up
 * and marks the email or phone verified, announced by user-verified in the same commit. A wrong
 * guess is counted even though the request fails (committed before the refusal is thrown).
 */
@Injectable()
export class ConfirmVerificationCode {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  async execute(
    caller: CallerIdentity,
    channel: VerificationChannel,
    code: string,
  ): Promise<VerificationState> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const account = await tx.findOne(Account, {
        where: { id: caller.userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!account) throw new BookingsError('ACCOUNT_NOT_FOUND', 'register first');
      const latest = await tx.findOne(VerificationCode, {
        where: { userId: account.id, channel },
        order: { createdAt: 'DESC' },
        lock: { mode: 'pessimistic_write' },
      });
      const now = this.clock.now();
      const refusal = this.refusal(latest, now);
      if (refusal) return { refusal };
      const sent = latest!;
      if (!codeMatches(this.config.VERIFICATION_CODE_PEPPER, sent.id, code, sent.codeHash)) {
        sent.attempts += 1;
        await tx.save(sent);
        const left = this.config.VERIFICATION_MAX_ATTEMPTS - sent.attempts;
        return {
          refusal: new BookingsError(
            'VERIFICATION_CODE_INVALID',
            left > 0
              ? `wrong code; ${left} attempt${left === 1 ? '' : 's'} left`
              : 'wrong code; no attempts left: ask for a new code',
            { field: 'code' },
          ),
        };
      }
      sent.consumedAt = now;
      await tx.save(sent);
      await this.markVerified(tx, account, channel, sent.destination, now);
      return {
        state: { emailVerified: account.emailVerified, phoneVerified: account.phoneVerified },
      };
    });
    if ('refusal' in outcome) throw outcome.refusal as BookingsError;
    this.relay.kick();
    return outcome.state;
  }

  private refusal(latest: VerificationCode | null, now: Date): BookingsError | undefined {
    if (!latest || latest.consumedAt !== null) {
      return new BookingsError(
        'VERIFICATION_NOT_REQUESTED',
        'no code is waiting: ask for one first',
      );
    }
    if (latest.attempts >= this.config.VERIFICATION_MAX_ATTEMPTS) {
      return new BookingsError(
        'VERIFICATION_ATTEMPTS_EXCEEDED',
        'too many wrong guesses: ask for a new code',
        { field: 'code' },
      );
    }
    if (latest.expiresAt.getTime() <= now.getTime()) {
      return new BookingsError(
        'VERIFICATION_CODE_EXPIRED',
        'this code has expired: ask for a new one',
        {
          field: 'code',
        },
      );
    }
    return undefined;
  }

  private async markVerified(
    tx: EntityManager,
    account: Account,
    channel: VerificationChannel,
    destination: string,
    now: Date,
  ): Promise<void> {
    if (channel === 'email') {
      account.emailVerified = true;
    } else {
      const other = await tx.findOneBy(Account, {
        phone: destination,
        phoneVerified: true,
        id: Not(account.id),
      });
      if (other)
        throw new BookingsError('PHONE_TAKEN', 'this phone is verified on another account');
      account.phone = destination;
      account.phoneVerified = true;
    }
    account.updatedAt = now;
    await tx.save(account);
    // Older codes of the channel can no longer be used.
    await tx.update(
      VerificationCode,
      { userId: account.id, channel, consumedAt: IsNull() },
      { consumedAt: now },
    );
    await this.outbox.add(
      tx,
      Topics.UserVerified,
      account.id,
      {
        userId: account.id,
        emailVerified: account.emailVerified,
        phoneVerified: account.phoneVerified,
        verifiedAt: now.toISOString(),
      },
      { occurredAt: now },
    );
  }
}
