import { EntityManager } from 'typeorm';

export const ATTRIBUTION_MODELS = ['last_click', 'first_click'] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export interface AttributionSettings {
  model: AttributionModel;
  windowDays: number;
}

/** The attribution model and window, rows of program_config an admin can change. */
export async function readAttributionSettings(tx: EntityManager): Promise<AttributionSettings> {
  const rows = await tx.query<Array<{ key: string; value: unknown }>>(
    `SELECT key, value FROM program_config
      WHERE key IN ('student_attribution_model', 'attribution_window_days')`,
  );
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  const model = byKey.get('student_attribution_model');
  const windowDays = byKey.get('attribution_window_days');
  if (!(ATTRIBUTION_MODELS as readonly unknown[]).includes(model)) {
    throw new Error(
      `program_config student_attribution_model is invalid: ${JSON.stringify(model)}`,
    );
  }
  if (typeof windowDays !== 'number' || !Number.isInteger(windowDays) || windowDays < 1) {
    throw new Error(
      `program_config attribution_window_days is invalid: ${JSON.stringify(windowDays)}`,
    );
  }
  return { model: model as AttributionModel, windowDays };
}
