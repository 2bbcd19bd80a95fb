import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager, MoreThan, Not } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';
import { EmailSender } from '../notifications/email-sender';
import { SmsSender } from '../notifications/sms-sender';
import {
  generateVerificationCode,
  hashVerificationCode,
  sendWaitMs,
  VerificationChannel,
} from './verification-code';
import { VerificationCode } from './verification-code.entity';

export interface VerificationSent {
  channel: VerificationChannel;
  /** Where it went, partly hidden. */
  sentTo: string;
  expiresAt: string;
}

/**
 * Sends a one-time code to the caller's email or phone. The code row and the rate-limit check
 * share a transaction that holds the account's lock, so two concurrent requests cannot both slip
 * under the limit; the message is sent before commit, so a code that never went out is not kept.
 */
@Injectable()
export class SendVerificationCode {
  private readonly logger = new Logger(SendVerificationCode.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly email: EmailSender,
    private readonly sms: SmsSender,
    private readonly clock: Clock,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  async execute(
    caller: CallerIdentity,
    channel: VerificationChannel,
    phone: string | undefined,
  ): Promise<VerificationSent> {
    if (channel === 'email' && phone !== undefined) {
      throw new BookingsError('VERIFICATION_NOT_REQUESTED', 'an email code takes no phone', {
        field: 'phone',
      });
    }
    if (channel === 'phone' && phone === undefined) {
      throw new BookingsError('VERIFICATION_NOT_REQUESTED', 'say which phone to verify', {
        field: 'phone',
      });
    }
    return this.dataSource.transaction(async (tx) => {
      const account = await tx.findOne(Account, {
        where: { id: caller.userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!account) throw new BookingsError('ACCOUNT_NOT_FOUND', 'register first');
      const destination = channel === 'email' ? account.email : phone!;
      await this.refuseNeedless(tx, account, channel, destination);
      const now = this.clock.now();
      await this.refuseTooMany(tx, account.id, channel, now);

      const code = generateVerificationCode();
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + this.config.VERIFICATION_CODE_TTL_MS);
      await tx.insert(VerificationCode, {
        id,
        userId: account.id,
        channel,
        destination,
        codeHash: hashVerificationCode(this.config.VERIFICATION_CODE_PEPPER, id, code),
        attempts: 0,
        createdAt: now,
        expiresAt,
        consumedAt: null,
      });
      await this.deliver(channel, destination, code);
      return { channel, sentTo: masked(channel, destination), expiresAt: expiresAt.toISOString() };
    });
  }

  private async refuseNeedless(
    tx: EntityManager,
    account: Account,
    channel: VerificationChannel,
    destination: string,
  ): Promise<void> {
    if (channel === 'email' && account.emailVerified) {
      throw new BookingsError('ALREADY_VERIFIED', 'your email is already verified');
    }
    if (channel === 'phone' && account.phoneVerified && account.phone === destination) {
      throw new BookingsError('ALREADY_VERIFIED', 'this phone is already verified');
    }
    if (channel === 'phone') {
      const other = await tx.findOneBy(Account, {
        phone: destination,
        phoneVerified: true,
        id: Not(account.id),
      });
      if (other) {
        throw new BookingsError('PHONE_TAKEN', 'this phone is verified on another account', {
          field: 'phone',
        });
      }
    }
  }

  private async refuseTooMany(
    tx: EntityManager,
    userId: string,
    channel: VerificationChannel,
    now: Date,
  ): Promise<void> {
    const recent = await tx.find(VerificationCode, {
      select: { createdAt: true },
      where: { userId, channel, createdAt: MoreThan(new Date(now.getTime() - 3600_000)) },
      order: { createdAt: 'DESC' },
    });
    const waitMs = sendWaitMs(
      recent.map((r) => r.createdAt),
      now,
      {
        sendsPerHour: this.config.VERIFICATION_SENDS_PER_HOUR,
        cooldownMs: this.config.VERIFICATION_RESEND_COOLDOWN_MS,
      },
    );
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new BookingsError(
        'VERIFICATION_RATE_LIMITED',
        `too many codes sent; try again in ${seconds} s`,
        { retryAfterSeconds: seconds },
      );
    }
  }

  private async deliver(
    channel: VerificationChannel,
    destination: string,
    code: string,
  ): Promise<void> {
    const minutes = Math.round(this.config.VERIFICATION_CODE_TTL_MS / 60_000);
    const text = `Your verification code is ${code}. It expires in ${minutes} minutes. If you did not ask for it, ignore this message.`;
    try {
      if (channel === 'email') {
        await this.email.send({ to: destination, subject: `Your code: ${code}`, text });
      } else {
        await this.sms.send({ to: destination, text });
      }
    } catch (err) {
      this.logger.warn({ message: 'verification code not delivered', channel, err: String(err) });
      throw new BookingsError(
        'VERIFICATION_DELIVERY_FAILED',
        `the ${channel === 'email' ? 'email' : 'text message'} could not be sent; try again later`,
        { retryAfterSeconds: 30 },
      );
    }
  }
}

function masked(channel: VerificationChannel, destination: string): string {
  if (channel === 'phone')
    return `${'*'.repeat(Math.max(0, destination.length - 4))}${destination.slice(-4)}`;
  const [local, domain] = destination.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
