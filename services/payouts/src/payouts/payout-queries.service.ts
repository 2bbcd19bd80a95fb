import { Injectable } from '@nestjs/common';
import { CallerIdentity } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { PayoutsError } from '../payouts-error';
import { Payout } from './payout.entity';

/** Reads of payouts for their beneficiaries (and admins). */
@Injectable()
export class PayoutQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** The caller's payouts, newest request first. */
  async listOwn(caller: CallerIdentity): Promise<Payout[]> {
    return this.dataSource.manager.find(Payout, {
      where: { beneficiaryId: caller.userId },
      order: { requestedAt: 'DESC', id: 'ASC' },
    });
  }

  async get(caller: CallerIdentity, id: string): Promise<Payout> {
    const payout = await this.dataSource.manager.findOneBy(Payout, { id });
    // Another user's payout answers exactly as a missing one: whether it exists is not told.
    if (!payout || (payout.beneficiaryId !== caller.userId && !caller.roles.includes('admin'))) {
      throw new PayoutsError('PAYOUT_NOT_FOUND', 'no such payout');
    }
    return payout;
  }
}
