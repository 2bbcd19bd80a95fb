import { ProgramConfig } from '../program/program-config';

export interface InstructorBonusDecision {
  founding: boolean;
  amountCents: number;
}

/**
 * The founding phase pays the higher bonus to the first `foundingInstructorCap` referrals whose
 * referee completes a first lesson; every later one gets the standard bonus.
 */
export function decideInstructorBonus(
  foundingAwardedSoFar: number,
  config: ProgramConfig,
): InstructorBonusDecision {
  const founding = foundingAwardedSoFar < config.foundingInstructorCap;
  return {
    founding,
    amountCents: founding
      ? config.foundingInstructorBonusCents
      : config.instructorStandardBonusCents,
  };
}
