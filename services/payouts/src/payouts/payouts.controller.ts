import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { Payout, PayoutStatus } from './payout.entity';
import { PayoutQueries } from './payout-queries.service';

export interface PayoutView {
  id: string;
  rewardId: string;
  beneficiaryId: string;
  amount: { amountCents: number; currency: string };
  status: PayoutStatus;
  transferId: string | null;
  attempts: number;
  lastError: { code: string; message: string } | null;
  /** While awaiting its transfer: when the next attempt is due (after a failure, the retry). */
  nextAttemptAt: string | null;
  requestedAt: string;
  paidAt: string | null;
  /** When it failed for good or was reversed. */
  failedAt: string | null;
}

export function payoutView(p: Payout): PayoutView {
  return {
    id: p.id,
    rewardId: p.rewardId,
    beneficiaryId: p.beneficiaryId,
    amount: { amountCents: p.amountCents, currency: p.currency },
    status: p.status,
    transferId: p.transferId,
    attempts: p.attempts,
    lastError: p.lastErrorCode
      ? { code: p.lastErrorCode, message: p.lastErrorMessage ?? '' }
      : null,
    nextAttemptAt:
      p.status === 'pending_transfer' ? (p.nextAttemptAt?.toISOString() ?? null) : null,
    requestedAt: p.requestedAt.toISOString(),
    paidAt: p.paidAt?.toISOString() ?? null,
    failedAt: p.failedAt?.toISOString() ?? null,
  };
}

@Controller('payouts')
export class PayoutsController {
  constructor(private readonly payouts: PayoutQueries) {}

  @Get('me')
  async listMine(@Caller() caller: CallerIdentity): Promise<{ items: PayoutView[] }> {
    return { items: (await this.payouts.listOwn(caller)).map(payoutView) };
  }

  @Get(':id')
  async get(
    @Caller() caller: CallerIdentity,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<PayoutView> {
    return payoutView(await this.payouts.get(caller, id));
  }
}
