import { Body, Controller, HttpCode, Param, ParseEnumPipe, Post } from '@nestjs/common';
import { Caller, CallerIdentity, PlatformError } from '@rewards/service-kit';
import { ConfirmVerificationCode, VerificationState } from './confirm-verification-code.usecase';
import { ConfirmVerificationDto } from './dto/confirm-verification.dto';
import { SendVerificationDto } from './dto/send-verification.dto';
import { SendVerificationCode, VerificationSent } from './send-verification-code.usecase';
import { VERIFICATION_CHANNELS, VerificationChannel } from './verification-code';

const channelPipe = new ParseEnumPipe(
  Object.fromEntries(VERIFICATION_CHANNELS.map((c) => [c, c])),
  {
    exceptionFactory: () =>
      new PlatformError('ROUTE_NOT_FOUND', 'verification is by email or phone'),
  },
);

/** One-time codes that verify a user's email and phone. */
@Controller('accounts/me/verification')
export class VerificationController {
  constructor(
    private readonly send: SendVerificationCode,
    private readonly confirm: ConfirmVerificationCode,
  ) {}

  @Post(':channel')
  @HttpCode(202)
  sendCode(
    @Caller() caller: CallerIdentity,
    @Param('channel', channelPipe) channel: VerificationChannel,
    @Body() dto: SendVerificationDto,
  ): Promise<VerificationSent> {
    return this.send.execute(caller, channel, dto.phone);
  }

  @Post(':channel/confirm')
  @HttpCode(200)
  confirmCode(
    @Caller() caller: CallerIdentity,
    @Param('channel', channelPipe) channel: VerificationChannel,
    @Body() dto: ConfirmVerificationDto,
  ): Promise<VerificationState> {
    return this.confirm.execute(caller, channel, dto.code);
  }
}
