import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { LivePopup, LivePopupView } from './live-popup';

/** The instructor's one-time popup after going live, and its acknowledgement. */
@Controller('referrals/me/live-popup')
export class LivePopupController {
  constructor(private readonly popup: LivePopup) {}

  /** `popup` is null before going live and once acknowledged. */
  @Get()
  async show(
    @Caller(['instructor']) caller: CallerIdentity,
  ): Promise<{ popup: LivePopupView | null }> {
    return { popup: await this.popup.show(caller.userId) };
  }

  @Post('ack')
  @HttpCode(200)
  acknowledge(@Caller(['instructor']) caller: CallerIdentity): Promise<{ acknowledgedAt: string }> {
    return this.popup.acknowledge(caller.userId);
  }
}
