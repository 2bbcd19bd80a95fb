import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { ReferralsError } from '../referrals-error';
import {
  settingProblem,
  STUDENT_PROGRAM_KEYS,
  StudentProgramSettings,
} from '../student-program/student-program-settings';
import { feeRebateProblem } from '../fee-rebate/fee-rebate-rule';
import { UpdateProgramConfigDto } from './dto/update-program-config.dto';

/** Admin-editable settings and the program_config row each lives in. */
const ADMIN_CONFIG_KEYS = {
  ...STUDENT_PROGRAM_KEYS,
  attributionModel: 'student_attribution_model',
  attributionWindowDays: 'attribution_window_days',
  ftcDisclosure: 'ftc_disclosure',
  feeRebate: 'instructor_fee_rebate',
} as const;
type AdminKey = keyof typeof ADMIN_CONFIG_KEYS;

export interface ProgramConfigView {
  values: Record<string, unknown>;
  updated: Record<string, { at: string; by: string }>;
  audit: Array<{
    key: string;
    oldValue: unknown;
    newValue: unknown;
    actor: string;
    reason: string;
    changedAt: string;
  }>;
}

/**
 * Reads and changes the program configuration without a deploy. A change is checked with the
 * same rules the readers apply, written with who changed it, and audited (old and new value,
 * who, why); it applies to decisions made after it commits.
 */
@Injectable()
export class ProgramConfigAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async read(manager: EntityManager = this.dataSource.manager): Promise<ProgramConfigView> {
    const rows = await manager.query<
      Array<{ key: string; value: unknown; updated_at: Date; updated_by: string }>
    >('SELECT key, value, updated_at, updated_by FROM program_config WHERE key = ANY($1)', [
      Object.values(ADMIN_CONFIG_KEYS),
    ]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const values: Record<string, unknown> = {};
    const updated: ProgramConfigView['updated'] = {};
    for (const [name, key] of Object.entries(ADMIN_CONFIG_KEYS)) {
      const row = byKey.get(key);
      values[name] = row?.value ?? null;
      if (row) updated[name] = { at: row.updated_at.toISOString(), by: row.updated_by };
    }
    const audit = await manager.query<
      Array<{
        key: string;
        old_value: unknown;
        new_value: unknown;
        actor: string;
        reason: string;
        changed_at: Date;
      }>
    >('SELECT * FROM program_config_audit ORDER BY changed_at DESC LIMIT 50');
    return {
      values,
      updated,
      audit: audit.map((a) => ({
        key: a.key,
        oldValue: a.old_value,
        newValue: a.new_value,
        actor: a.actor,
        reason: a.reason,
        changedAt: a.changed_at.toISOString(),
      })),
    };
  }

  async update(admin: CallerIdentity, dto: UpdateProgramConfigDto): Promise<ProgramConfigView> {
    const { reason, ...changes } = dto;
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined) as Array<
      [AdminKey, unknown]
    >;
    if (entries.length === 0) {
      throw new ReferralsError('CONFIG_INVALID', 'name at least one setting to change');
    }
    for (const [name, value] of entries) {
      const problem =
        name === 'feeRebate'
          ? feeRebateProblem(value)
          : name in STUDENT_PROGRAM_KEYS
            ? settingProblem(name as keyof StudentProgramSettings, value)
            : undefined;
      if (problem) {
        throw new ReferralsError('CONFIG_INVALID', `${name} ${problem}`, { field: name });
      }
    }
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      for (const [name, value] of entries) {
        const key = ADMIN_CONFIG_KEYS[name];
        const [old] = await tx.query<Array<{ value: unknown }>>(
          'SELECT value FROM program_config WHERE key = $1 FOR UPDATE',
          [key],
        );
        await tx.query(
          `INSERT INTO program_config (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3, updated_by = $4`,
          [key, JSON.stringify(value), now, admin.userId],
        );
        await tx.query(
          `INSERT INTO program_config_audit (id, key, old_value, new_value, actor, reason, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            randomUUID(),
            key,
            old ? JSON.stringify(old.value) : null,
            JSON.stringify(value),
            admin.userId,
            reason,
            now,
          ],
        );
      }
      return this.read(tx);
    });
  }
}
