import { Injectable } from '@nestjs/common';
import { UserRole } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { attributeSignup } from '../attribution/attribute-signup';
import { Attribution } from '../attribution/attribution.entity';
import { lockReferee } from '../instructor-program/lock-referee';
import { ReferralsError } from '../referrals-error';
import { ATTRIBUTION_REFUSAL_TEXT } from './attribution-explanations';
import { readAttributionSettings } from './attribution-settings';
import { recordSource } from './record-signup-attribution';
import { decideSignupAttribution } from './signup-attribution';

export interface ClaimResult {
  outcome: 'attributed';
  code: string;
  attributedAt: string;
}

/**
 * A signed-in user names the code that referred them when the cookie was lost. Allowed once,
 * within the attribution window after signup, and only while no attribution exists; a refused
 * claim records nothing, so the user can correct a typo.
 */
@Injectable()
export class ClaimReferralCode {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async execute(caller: CallerIdentity, code: string): Promise<ClaimResult> {
    const result = await this.dataSource.transaction(async (tx) => {
      // Same lock as the signup consumer: a claim and a late signup event cannot both attribute.
      await lockReferee(tx, caller.userId);
      const [user] = await tx.query<
        Array<{ role: UserRole | null; device_hash: string | null; registered_at: Date | null }>
      >('SELECT role, device_hash, registered_at FROM referral_users WHERE user_id = $1', [
        caller.userId,
      ]);
      if (!user?.registered_at || !user.role) {
        throw new ReferralsError('CODE_NOT_READY', 'your signup is still being processed');
      }
      if (await tx.findOneBy(Attribution, { refereeId: caller.userId })) {
        throw new ReferralsError('ALREADY_ATTRIBUTED', 'your referral was already recorded');
      }
      const now = this.clock.now();
      const { windowDays } = await readAttributionSettings(tx);
      if (now.getTime() - user.registered_at.getTime() > windowDays * 86_400_000) {
        throw new ReferralsError(
          'CLAIM_WINDOW_CLOSED',
          `a referral code can be claimed within ${windowDays} days of signup`,
        );
      }
      const decision = await decideSignupAttribution(
        tx,
        {
          userId: caller.userId,
          role: user.role,
          referralCode: code,
          deviceHash: user.device_hash ?? undefined,
          registeredAt: now,
        },
        { clicks: false },
      );
      if (!decision) throw new Error('a claimed code always yields a decision');
      if (decision.refusal) {
        throw new ReferralsError(
          decision.refusal === 'UNKNOWN_CODE' ? 'UNKNOWN_CODE' : 'CLAIM_REFUSED',
          ATTRIBUTION_REFUSAL_TEXT[decision.refusal],
          { field: 'code', reason: decision.refusal },
        );
      }
      const attribution = await attributeSignup(
        tx,
        this.outbox,
        {
          userId: caller.userId,
          role: user.role,
          email: 'unknown@invalid',
          displayName: '-',
          referralCode: decision.code,
          registeredAt: user.registered_at.toISOString(),
        },
        now,
      );
      if (attribution?.outcome !== 'attributed') {
        throw new Error(`claim of ${decision.code} was not attributed`);
      }
      await recordSource(tx, caller.userId, decision, 'claim');
      return {
        outcome: 'attributed' as const,
        code: decision.code,
        attributedAt: now.toISOString(),
      };
    });
    this.relay.kick();
    return result;
  }
}
