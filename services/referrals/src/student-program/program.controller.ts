import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readAttributionSettings } from '../clicks/attribution-settings';
import { readStudentProgramSettings } from './student-program-settings';

/** Public: the student program's terms for the landing and terms pages, from configuration. */
@Controller('referrals/program')
export class ProgramController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async program() {
    const m = this.dataSource.manager;
    const settings = await readStudentProgramSettings(m);
    const attribution = await readAttributionSettings(m);
    const [disclosure] = await m.query<Array<{ value: string }>>(
      "SELECT value FROM program_config WHERE key = 'ftc_disclosure'",
    );
    const money = (amountCents: number) => ({ amountCents, currency: settings.currency });
    return {
      referrerReward: money(settings.referrerRewardCents),
      refereeDiscount: money(settings.refereeDiscountCents),
      minimumLessonPrice: money(settings.lessonMinimumCents),
      attributionWindowDays: attribution.windowDays,
      attributionModel: attribution.model,
      holdDays: settings.holdDays,
      creditLifetimeMonths: settings.creditLifetimeMonths,
      requiresVerification: ['email', 'phone'],
      ftcDisclosure: disclosure?.value ?? null,
    };
  }
}
