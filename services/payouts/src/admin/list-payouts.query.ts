import { Injectable } from '@nestjs/common';
import { decodeKeysetCursor, keysetPage, PlatformError } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Payout } from '../payouts/payout.entity';
import { payoutView, PayoutView } from '../payouts/payouts.controller';
import { ListPayoutsQuery } from './dto/list-payouts.query';

const DEFAULT_ADMIN_PAGE_SIZE = 50;

export interface PayoutsPage {
  items: PayoutView[];
  /** Pass as `cursor` for the next (older) page, with the same filters; null on the last page. */
  nextCursor: string | null;
}

/** Payouts for operators: by status, beneficiary and request time, newest first, paged. */
@Injectable()
export class ListPayouts {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: ListPayoutsQuery): Promise<PayoutsPage> {
    const from = query.from === undefined ? undefined : new Date(query.from);
    const to = query.to === undefined ? undefined : new Date(query.to);
    if (from && to && from.getTime() >= to.getTime()) {
      throw new PlatformError('VALIDATION_FAILED', 'to must be later than from', 'to');
    }
    const cursor = query.cursor === undefined ? undefined : decodeKeysetCursor(query.cursor);
    const limit = query.limit ?? DEFAULT_ADMIN_PAGE_SIZE;

    const q = this.dataSource.manager
      .createQueryBuilder(Payout, 'p')
      .orderBy('p.requestedAt', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(limit + 1);
    if (query.status) q.andWhere('p.status = :status', { status: query.status });
    if (query.beneficiaryId) {
      q.andWhere('p.beneficiaryId = :beneficiaryId', { beneficiaryId: query.beneficiaryId });
    }
    if (from) q.andWhere('p.requestedAt >= :from', { from });
    if (to) q.andWhere('p.requestedAt < :to', { to });
    if (cursor) {
      q.andWhere('(p.requestedAt, p.id) < (:cursorAt, :cursorId)', {
        cursorAt: cursor.at,
        cursorId: cursor.id,
      });
    }
    // Keyset on the last row's (requested_at, id), so pages hold still as payouts arrive.
    const page = keysetPage(await q.getMany(), limit, (p) => ({ at: p.requestedAt, id: p.id }));
    return { items: page.rows.map(payoutView), nextCursor: page.nextCursor };
  }
}
