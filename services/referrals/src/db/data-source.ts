import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { ReferralCode } from '../codes/referral-code.entity';
import { InstructorReferral } from '../instructor-program/instructor-referral.entity';
import { CreateReferralsSchema1763690000000 } from './migrations/1763690000000-create-referrals-schema';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { AddInstructorLessons1796092000000 } from './migrations/1796092000000-add-instructor-lessons';
import { AddPayoutRetriesAndLivePopup1796121000000 } from './migrations/1796121000000-add-payout-retries-and-live-popup';
import { AddRefereeDiscountConfig1796120100000 } from './migrations/1796120100000-add-referee-discount-config';
import { CreateClicksAndReferralUsers1796110000000 } from './migrations/1796110000000-create-clicks-and-referral-users';
import { CreateStudentRewards1796110100000 } from './migrations/1796110100000-create-student-rewards';
import { AddProgramConfigAudit1796110200000 } from './migrations/1796110200000-add-program-config-audit';
import { AddFeeRebateConfig1796110300000 } from './migrations/1796110300000-add-fee-rebate-config';
import { StudentReward } from '../student-program/student-reward.entity';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';
import { AllowClicksWithoutDevice1796130000000 } from './migrations/1796130000000-allow-clicks-without-device';
import { CreatePaymentCards1796140000000 } from './migrations/1796140000000-create-payment-cards';
import { IndexStudentRewardsByStatus1796150000000 } from './migrations/1796150000000-index-student-rewards-by-status';

/** The referrals DataSource: used by the app, `migrate` and the tests alike. */
export function referralsDataSource(url: string, schema = 'referrals'): DataSource {
  return createServiceDataSource({
    service: 'referrals',
    url,
    schema,
    entities: [ReferralCode, Attribution, InstructorReferral, StudentReward],
    migrations: [
      CreateReferralsSchema1763690000000,
      AddMessagingReplayAndDeadLetters1796080000000,
      AddInstructorLessons1796092000000,
      CreateClicksAndReferralUsers1796110000000,
      CreateStudentRewards1796110100000,
      AddProgramConfigAudit1796110200000,
      AddFeeRebateConfig1796110300000,
      AddSchemaLocks1796111000000,
      AddRefereeDiscountConfig1796120100000,
      AddPayoutRetriesAndLivePopup1796121000000,
      AllowClicksWithoutDevice1796130000000,
      CreatePaymentCards1796140000000,
      IndexStudentRewardsByStatus1796150000000,
    ],
  });
}
