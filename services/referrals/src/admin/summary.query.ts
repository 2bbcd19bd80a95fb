import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readStudentProgramSettings } from '../student-program/student-program-settings';

export interface ReferralSummary {
  from: string;
  to: string;
  clicks: number;
  attributions: { attributed: number; refused: Record<string, number> };
  rewards: Record<string, Record<string, number>>;
  cap: { phase: string; used: number; cap: number | null };
}

/** Program analytics over [from, to): clicks, attributions, rewards by status and reason, cap. */
@Injectable()
export class ReferralSummaryQuery {
  constructor(private readonly dataSource: DataSource) {}

  async between(from: Date, to: Date): Promise<ReferralSummary> {
    const m = this.dataSource.manager;
    const [{ n: clicks }] = await m.query<Array<{ n: string }>>(
      'SELECT count(*) AS n FROM clicks WHERE clicked_at >= $1 AND clicked_at < $2',
      [from, to],
    );
    const attributions = await m.query<
      Array<{ outcome: string; refusal_reason: string | null; n: string }>
    >(
      `SELECT outcome, refusal_reason, count(*) AS n FROM attributions
        WHERE decided_at >= $1 AND decided_at < $2 GROUP BY outcome, refusal_reason`,
      [from, to],
    );
    const rewards = await m.query<Array<{ status: string; reason: string; n: string }>>(
      `SELECT status, reason, count(*) AS n FROM student_rewards
        WHERE decided_at >= $1 AND decided_at < $2 GROUP BY status, reason`,
      [from, to],
    );
    const settings = await readStudentProgramSettings(m);
    const [counter] = await m.query<Array<{ value: number }>>(
      'SELECT value FROM program_counters WHERE name = $1',
      [`student_rewards:${settings.phase}`],
    );
    const refused: Record<string, number> = {};
    let attributed = 0;
    for (const a of attributions) {
      if (a.outcome === 'attributed') attributed += Number(a.n);
      else
        refused[a.refusal_reason ?? 'UNKNOWN'] =
          (refused[a.refusal_reason ?? 'UNKNOWN'] ?? 0) + Number(a.n);
    }
    const byStatus: ReferralSummary['rewards'] = {};
    for (const r of rewards) (byStatus[r.status] ??= {})[r.reason] = Number(r.n);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      clicks: Number(clicks),
      attributions: { attributed, refused },
      rewards: byStatus,
      cap: {
        phase: settings.phase,
        used: counter?.value ?? 0,
        cap: settings.phaseCaps[settings.phase] ?? null,
      },
    };
  }
}
