import { Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { BookingsError } from '../bookings-error';
import { Account } from './account.entity';
import { RegisterAccountDto } from './dto/register-account.dto';
import { SignupSignals } from './signup-signals';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class AccountsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async register(
    caller: CallerIdentity,
    dto: RegisterAccountDto,
    signals: SignupSignals = {},
  ): Promise<Account> {
    if (!caller.roles.includes(dto.role)) {
      throw new BookingsError('ROLE_MISMATCH', `your token does not carry the role ${dto.role}`);
    }
    const now = this.clock.now();
    try {
      const account = await this.dataSource.transaction(async (tx) => {
        if (await tx.findOneBy(Account, { id: caller.userId })) {
          throw new BookingsError('ACCOUNT_ALREADY_REGISTERED', 'this user already has an account');
        }
        const created = tx.create(Account, {
          id: caller.userId,
          role: dto.role,
          email: dto.email,
          displayName: dto.displayName,
          referralCode: dto.referralCode ?? null,
          phone: null,
          emailVerified: false,
          phoneVerified: false,
          stripeAccountId: null,
          liveAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await tx.insert(Account, created);
        await this.outbox.add(
          tx,
          Topics.UserRegistered,
          created.id,
          {
            userId: created.id,
            role: created.role,
            email: created.email,
            displayName: created.displayName,
            ...(dto.referralCode ? { referralCode: dto.referralCode } : {}),
            ...signals,
            registeredAt: now.toISOString(),
          },
          { occurredAt: now },
        );
        return created;
      });
      this.relay.kick();
      return account;
    } catch (err) {
      if (
        err instanceof QueryFailedError &&
        (err.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new BookingsError('EMAIL_TAKEN', 'an account with this email already exists');
      }
      throw err;
    }
  }

  async get(userId: string): Promise<Account> {
    return this.require(this.dataSource.manager, userId);
  }

  async setPayoutAccount(caller: CallerIdentity, stripeAccountId: string): Promise<Account> {
    return this.dataSource.transaction(async (tx) => {
      const account = await this.requireInstructor(tx, caller.userId);
      account.stripeAccountId = stripeAccountId;
      account.updatedAt = this.clock.now();
      return tx.save(account);
    });
  }

  /** Makes an instructor bookable; going live twice changes nothing and emits nothing. */
  async goLive(caller: CallerIdentity): Promise<Account> {
    const account = await this.dataSource.transaction(async (tx) => {
      const instructor = await this.requireInstructor(tx, caller.userId);
      if (instructor.liveAt) return instructor;
      if (!instructor.stripeAccountId) {
        throw new BookingsError(
          'PAYOUT_ACCOUNT_REQUIRED',
          'connect a payout account before going live',
        );
      }
      const now = this.clock.now();
      instructor.liveAt = now;
      instructor.updatedAt = now;
      await tx.save(instructor);
      await this.outbox.add(
        tx,
        Topics.InstructorWentLive,
        instructor.id,
        { instructorId: instructor.id, wentLiveAt: now.toISOString() },
        { occurredAt: now },
      );
      return instructor;
    });
    this.relay.kick();
    return account;
  }

  private async require(tx: EntityManager, userId: string, lock = false): Promise<Account> {
    const account = await tx.findOne(Account, {
      where: { id: userId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!account)
      throw new BookingsError('ACCOUNT_NOT_FOUND', 'no account for this user: register first');
    return account;
  }

  private async requireInstructor(tx: EntityManager, userId: string): Promise<Account> {
    const account = await this.require(tx, userId, true);
    if (account.role !== 'instructor') {
      throw new BookingsError('NOT_AN_INSTRUCTOR', 'only instructors can do this');
    }
    return account;
  }
}
