import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { Caller, CallerIdentity, Clock, PlatformError } from '@rewards/service-kit';
import { IsISO8601, IsOptional } from 'class-validator';
import { UpdateProgramConfigDto } from './dto/update-program-config.dto';
import { ProgramConfigAdmin, ProgramConfigView } from './program-config.usecase';
import { ReferralSummary, ReferralSummaryQuery } from './summary.query';

export class SummaryRangeQuery {
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

@Controller('admin/referrals')
export class ProgramAdminController {
  constructor(
    private readonly config: ProgramConfigAdmin,
    private readonly summary: ReferralSummaryQuery,
    private readonly clock: Clock,
  ) {}

  @Get('config')
  read(@Caller(['admin']) admin: CallerIdentity): Promise<ProgramConfigView> {
    void admin; // the decorator refuses non-admins; nothing else depends on who asks
    return this.config.read();
  }

  @Put('config')
  update(
    @Caller(['admin']) admin: CallerIdentity,
    @Body() dto: UpdateProgramConfigDto,
  ): Promise<ProgramConfigView> {
    return this.config.update(admin, dto);
  }

  /** Defaults to the last 30 days. */
  @Get('summary')
  range(
    @Caller(['admin']) _admin: CallerIdentity,
    @Query() query: SummaryRangeQuery,
  ): Promise<ReferralSummary> {
    const to = query.to ? new Date(query.to) : this.clock.now();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (from.getTime() >= to.getTime()) {
      throw new PlatformError('VALIDATION_FAILED', 'from must be before to', 'from');
    }
    return this.summary.between(from, to);
  }
}
