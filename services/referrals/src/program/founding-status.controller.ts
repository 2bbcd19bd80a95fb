import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FOUNDING_BONUSES_COUNTER, readCounter, readProgramConfig } from './program-config';

/** Public: how many founding-instructor bonuses are left. */
@Controller('referrals/founding-status')
export class FoundingStatusController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async status() {
    const manager = this.dataSource.manager;
    const [config, awarded] = await Promise.all([
      readProgramConfig(manager),
      readCounter(manager, FOUNDING_BONUSES_COUNTER, false),
    ]);
    return {
      cap: config.foundingInstructorCap,
      awarded,
      spotsLeft: Math.max(0, config.foundingInstructorCap - awarded),
      foundingBonus: {
        amountCents: config.foundingInstructorBonusCents,
        currency: config.currency,
      },
      standardBonus: {
        amountCents: config.instructorStandardBonusCents,
        currency: config.currency,
      },
    };
  }
}
