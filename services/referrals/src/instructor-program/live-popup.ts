import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { ReferralCode } from '../codes/referral-code.entity';
import { ReferralsConfig } from '../config/referrals.config';
import {
  FOUNDING_BONUSES_COUNTER,
  readCounter,
  readProgramConfig,
} from '../program/program-config';
import { ReferralsError } from '../referrals-error';
import { InstructorReferral } from './instructor-referral.entity';

export interface LivePopupView {
  wentLiveAt: string;
  /** What to share to earn the referral bonus. */
  code: string;
  link: string;
  bonus: {
    founding: { amountCents: number; currency: string };
    standard: { amountCents: number; currency: string };
    foundingSpotsLeft: number;
  };
  /** When the instructor was referred: what their first lesson earns their referrer. */
  referredBy: { referrerId: string; status: InstructorReferral['status'] } | null;
}

/**
 * The one-time popup an instructor sees after going live: returned until they acknowledge it,
 * then never again. Acknowledging twice changes nothing.
 */
@Injectable()
export class LivePopup {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
  ) {}

  /** The popup, or null when the instructor is not live yet or has acknowledged it. */
  async show(instructorId: string): Promise<LivePopupView | null> {
    const manager = this.dataSource.manager;
    const live = await this.liveState(instructorId);
    if (!live || live.acknowledgedAt !== null) return null;
    const code = await manager.findOneBy(ReferralCode, { userId: instructorId });
    if (!code) {
      throw new ReferralsError(
        'CODE_NOT_READY',
        'no referral code yet: it is issued shortly after signup',
      );
    }
    const [config, awarded, referral] = await Promise.all([
      readProgramConfig(manager),
      readCounter(manager, FOUNDING_BONUSES_COUNTER, false),
      manager.findOneBy(InstructorReferral, { refereeId: instructorId }),
    ]);
    return {
      wentLiveAt: live.wentLiveAt.toISOString(),
      code: code.code,
      link: `${this.config.PUBLIC_BASE_URL}/r/${code.code}`,
      bonus: {
        founding: { amountCents: config.foundingInstructorBonusCents, currency: config.currency },
        standard: { amountCents: config.instructorStandardBonusCents, currency: config.currency },
        foundingSpotsLeft: Math.max(0, config.foundingInstructorCap - awarded),
      },
      referredBy: referral ? { referrerId: referral.referrerId, status: referral.status } : null,
    };
  }

  /** Marks the popup seen; the first acknowledgement's time stands. */
  async acknowledge(instructorId: string): Promise<{ acknowledgedAt: string }> {
    // An UPDATE ... RETURNING answers [rows, affected count] through TypeORM's pg driver.
    const [rows] = await this.dataSource.query<[Array<{ at: Date }>, number]>(
      `UPDATE instructor_milestones
       SET live_popup_acknowledged_at = COALESCE(live_popup_acknowledged_at, $2)
       WHERE instructor_id = $1 AND went_live_at IS NOT NULL
       RETURNING live_popup_acknowledged_at AS at`,
      [instructorId, this.clock.now()],
    );
    if (rows.length === 0) {
      throw new ReferralsError('NOT_LIVE_YET', 'there is no popup before the instructor goes live');
    }
    return { acknowledgedAt: rows[0].at.toISOString() };
  }

  private async liveState(
    instructorId: string,
  ): Promise<{ wentLiveAt: Date; acknowledgedAt: Date | null } | undefined> {
    const [row] = await this.dataSource.query<
      Array<{ went_live_at: Date | null; live_popup_acknowledged_at: Date | null }>
    >(
      `SELECT went_live_at, live_popup_acknowledged_at FROM instructor_milestones
       WHERE instructor_id = $1`,
      [instructorId],
    );
    if (!row?.went_live_at) return undefined;
    return { wentLiveAt: row.went_live_at, acknowledgedAt: row.live_popup_acknowledged_at };
  }
}
