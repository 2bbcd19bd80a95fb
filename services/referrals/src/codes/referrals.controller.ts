import { Controller, Get, Inject } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { ReferralsConfig } from '../config/referrals.config';
import {
  INSTRUCTOR_REFERRAL_STATUSES,
  InstructorReferral,
  InstructorReferralStatus,
} from '../instructor-program/instructor-referral.entity';
import { readProgramConfig } from '../program/program-config';
import { ReferralsError } from '../referrals-error';
import { ReferralCode } from './referral-code.entity';
import { ATTRIBUTION_REFUSAL_TEXT } from '../clicks/attribution-explanations';
import { SignupRefusal } from '../clicks/signup-attribution';
import { readStudentProgramSettings } from '../student-program/student-program-settings';
import { ReferrerView, StudentProgramView } from '../student-program/referrer-view.query';

export interface ReferralStatsView {
  code: string;
  link: string;
  /** What a client passes to the Web Share API (navigator.share). */
  share: { title: string; text: string; url: string };
  referredBy: {
    outcome: string;
    code: string;
    refusalReason: string | null;
    /** Why it was refused, in words (the detailed reason when one was recorded). */
    message: string | null;
  } | null;
  instructorProgram: {
    counts: Record<InstructorReferralStatus, number>;
    earnings: { paidCents: number; pendingCents: number; currency: string };
  } | null;
  studentProgram: StudentProgramView | null;
}

@Controller('referrals/me')
export class ReferralsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
    private readonly referrerView: ReferrerView,
  ) {}

  /** The caller's code, share link, how they were referred, and their referral counts and earnings. */
  @Get()
  async me(@Caller() caller: CallerIdentity): Promise<ReferralStatsView> {
    const manager = this.dataSource.manager;
    const code = await manager.findOneBy(ReferralCode, { userId: caller.userId });
    if (!code) {
      throw new ReferralsError(
        'CODE_NOT_READY',
        'no referral code yet: it is issued shortly after signup',
      );
    }
    const attribution = await manager.findOneBy(Attribution, { refereeId: caller.userId });
    const link = `${this.config.PUBLIC_BASE_URL}/r/${code.code}`;
    return {
      code: code.code,
      link,
      share: await this.shareOf(link),
      referredBy: attribution
        ? {
            outcome: attribution.outcome,
            code: attribution.code,
            refusalReason: attribution.refusalReason,
            message: await this.refusalMessage(attribution),
          }
        : null,
      instructorProgram:
        code.ownerRole === 'instructor' ? await this.instructorStats(caller.userId) : null,
      studentProgram:
        code.ownerRole === 'student'
          ? await this.referrerView.forReferrer(caller.userId, code.code)
          : null,
    };
  }

  private async refusalMessage(attribution: Attribution): Promise<string | null> {
    if (attribution.outcome !== 'refused') return null;
    const [source] = await this.dataSource.query<Array<{ refusal_detail: SignupRefusal | null }>>(
      'SELECT refusal_detail FROM attribution_sources WHERE referee_id = $1',
      [attribution.refereeId],
    );
    const reason = source?.refusal_detail ?? attribution.refusalReason;
    return reason ? (ATTRIBUTION_REFUSAL_TEXT[reason] ?? null) : null;
  }

  /** The Web Share payload, with the program's current amounts. */
  private async shareOf(url: string): Promise<ReferralStatsView['share']> {
    const settings = await readStudentProgramSettings(this.dataSource.manager);
    const dollars = (cents: number) => `$${(cents / 100).toFixed(cents % 100 === 0 ? 0 : 2)}`;
    const off = dollars(settings.refereeDiscountCents);
    return {
      title: `Get ${off} off your first lesson`,
      text: `Use my link to get ${off} off your first lesson of ${dollars(settings.lessonMinimumCents)} or more.`,
      url,
    };
  }

  /** Every instructor the caller referred, with where each stands. */
  @Get('referred-instructors')
  async referredInstructors(@Caller(['instructor']) caller: CallerIdentity) {
    const rows = await this.dataSource.manager.find(InstructorReferral, {
      where: { referrerId: caller.userId },
      order: { attributedAt: 'DESC' },
      take: 500,
    });
    return {
      items: rows.map((r) => ({
        refereeId: r.refereeId,
        status: r.status,
        attributedAt: r.attributedAt.toISOString(),
        wentLiveAt: r.wentLiveAt?.toISOString() ?? null,
        firstLessonAt: r.firstLessonAt?.toISOString() ?? null,
        bonus: r.bonusCents !== null ? { amountCents: r.bonusCents, currency: r.currency } : null,
        founding: r.founding,
        payoutId: r.payoutId,
        paidAt: r.paidAt?.toISOString() ?? null,
        failureReason: r.failureReason,
        // Set while a failed payout will be tried again: "failed, retrying at nextRetryAt".
        nextRetryAt: r.nextRetryAt?.toISOString() ?? null,
      })),
    };
  }

  private async instructorStats(
    referrerId: string,
  ): Promise<ReferralStatsView['instructorProgram']> {
    const rows = await this.dataSource.query<
      Array<{
        status: InstructorReferralStatus;
        retrying: boolean;
        n: string;
        cents: string | null;
      }>
    >(
      `SELECT status, next_retry_at IS NOT NULL AS retrying, count(*) AS n, sum(bonus_cents) AS cents
       FROM instructor_referrals WHERE referrer_id = $1 GROUP BY 1, 2`,
      [referrerId],
    );
    const { currency } = await readProgramConfig(this.dataSource.manager);
    const counts = Object.fromEntries(INSTRUCTOR_REFERRAL_STATUSES.map((s) => [s, 0])) as Record<
      InstructorReferralStatus,
      number
    >;
    let paidCents = 0;
    let pendingCents = 0;
    for (const row of rows) {
      counts[row.status] += Number(row.n);
      if (row.status === 'paid') paidCents += Number(row.cents ?? 0);
      // Earned and still on its way: awaiting its transfer, or failed and to be tried again.
      if (row.status === 'pending_transfer' || (row.status === 'failed' && row.retrying)) {
        pendingCents += Number(row.cents ?? 0);
      }
    }
    return { counts, earnings: { paidCents, pendingCents, currency } };
  }
}
