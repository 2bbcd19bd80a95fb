import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Caller, CallerIdentity, InternalCallers } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { ATTRIBUTION_REFUSAL_TEXT } from './attribution-explanations';
import { ClaimReferralCode, ClaimResult } from './claim-referral-code.usecase';
import { ClickRecorder } from './click-recorder';
import { AttributionPreviewDto } from './dto/attribution-preview.dto';
import { ClaimCodeDto } from './dto/claim-code.dto';
import { decideSignupAttribution, SignupRefusal, signupSignalsOf } from './signup-attribution';

export interface AttributionPreview {
  /** none: nothing names a referrer; pending: it will be attributed; refused: it will not. */
  outcome: 'none' | 'pending' | 'refused';
  code: string | null;
  reason: SignupRefusal | null;
  message: string | null;
}

@Controller('referrals/claim')
export class ClaimController {
  constructor(private readonly claim: ClaimReferralCode) {}

  @Post()
  @HttpCode(201)
  claimCode(@Caller() caller: CallerIdentity, @Body() dto: ClaimCodeDto): Promise<ClaimResult> {
    return this.claim.execute(caller, dto.code);
  }
}

/**
 * Service-to-service: bookings asks at signup, so a refusal is told in the signup response.
 * Answered to bookings alone, signed as itself.
 */
@Controller('internal/attribution')
@InternalCallers('bookings')
export class AttributionPreviewController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clicks: ClickRecorder,
  ) {}

  @Post('preview')
  @HttpCode(200)
  async preview(@Body() dto: AttributionPreviewDto): Promise<AttributionPreview> {
    // The click may still be in this replica's buffer (a signup right after the click).
    await this.clicks.flush();
    const decision = await decideSignupAttribution(this.dataSource.manager, signupSignalsOf(dto));
    if (!decision) return { outcome: 'none', code: null, reason: null, message: null };
    if (!decision.refusal) {
      return { outcome: 'pending', code: decision.code, reason: null, message: null };
    }
    return {
      outcome: 'refused',
      code: decision.code,
      reason: decision.refusal,
      message: ATTRIBUTION_REFUSAL_TEXT[decision.refusal],
    };
  }
}
