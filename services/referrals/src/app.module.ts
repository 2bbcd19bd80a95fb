import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule, ServesHttpOn } from '@rewards/service-kit';
import { ProgramAdminController } from './admin/program-admin.controller';
import { ProgramConfigAdmin } from './admin/program-config.usecase';
import { ReviewList } from './admin/review-list.query';
import { ReviewQueue } from './admin/review-queue.usecase';
import { ReviewController } from './admin/review.controller';
import { ReferralSummaryQuery } from './admin/summary.query';
import { UserRegisteredConsumer } from './attribution/user-registered.consumer';
import { GrantFeeRebate } from './fee-rebate/grant-fee-rebate.usecase';
import { ProgramController } from './student-program/program.controller';
import { AttributionPreviewController, ClaimController } from './clicks/attribution.controller';
import { ClaimReferralCode } from './clicks/claim-referral-code.usecase';
import { ClickRecorder } from './clicks/click-recorder';
import { CodeDirectory } from './clicks/code-directory';
import { RedirectController } from './clicks/redirect.controller';
import { DecideStudentReward } from './student-program/decide-student-reward.usecase';
import { RecordStudentLesson } from './student-program/record-student-lesson.usecase';
import { ReferrerView } from './student-program/referrer-view.query';
import { StudentProgramConsumers } from './student-program/student-program.consumers';
import { UnlockDueRewardsJob } from './student-program/unlock-due-rewards.job';
import { VoidStudentReward } from './student-program/void-student-reward.usecase';
import { ReferralsController } from './codes/referrals.controller';
import { ReferralsConfig } from './config/referrals.config';
import { referralsDataSource } from './db/data-source';
import { InstructorProgramConsumers } from './instructor-program/instructor-program.consumers';
import { LivePopup } from './instructor-program/live-popup';
import { LivePopupController } from './instructor-program/live-popup.controller';
import { FoundingStatusController } from './program/founding-status.controller';

@ServesHttpOn('fastify')
@Module({})
export class AppModule {
  static forRoot(config: ReferralsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DataServiceModule.forRoot({
          service: 'referrals',
          config,
          clock: options.clock,
          dataSource: () =>
            referralsDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'referrals'),
        }),
      ],
      controllers: [
        ReferralsController,
        FoundingStatusController,
        UserRegisteredConsumer,
        InstructorProgramConsumers,
        LivePopupController,
        RedirectController,
        ClaimController,
        AttributionPreviewController,
        StudentProgramConsumers,
        ReviewController,
        ProgramAdminController,
        ProgramController,
      ],
      providers: [
        { provide: ReferralsConfig, useValue: config },
        LivePopup,
        ClickRecorder,
        CodeDirectory,
        ClaimReferralCode,
        DecideStudentReward,
        VoidStudentReward,
        RecordStudentLesson,
        UnlockDueRewardsJob,
        ReferrerView,
        ReviewList,
        ReviewQueue,
        ProgramConfigAdmin,
        ReferralSummaryQuery,
        GrantFeeRebate,
      ],
    };
  }
}
