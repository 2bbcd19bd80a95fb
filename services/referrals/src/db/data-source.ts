import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { ReferralCode } from '../codes/referral-code.entity';
import { InstructorReferral } from '../instructor-program/instructor-referral.entity';
import { CreateReferralsSchema1763690000000 } from './migrations/1763690000000-create-referrals-schema';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { AddInstructorLessons1796092000000 } from './migrations/1796092000000-add-instructor-lessons';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';

/** The referrals DataSource: used by the app, `migrate` and the tests alike. */
export function referralsDataSource(url: string, schema = 'referrals'): DataSource {
  return createServiceDataSource({
    service: 'referrals',
    url,
    schema,
    entities: [ReferralCode, Attribution, InstructorReferral],
    migrations: [
      CreateReferralsSchema1763690000000,
      AddMessagingReplayAndDeadLetters1796080000000,
      AddInstructorLessons1796092000000,
      AddSchemaLocks1796111000000,
    ],
  });
}
