import { ProgramConfig } from '../program/program-config';
import { decideInstructorBonus } from './decide-instructor-bonus';

const config: ProgramConfig = {
  foundingInstructorCap: 100,
  foundingInstructorBonusCents: 7500,
  instructorStandardBonusCents: 5000,
  instructorLessonMinimumCents: 2000,
  currency: 'USD',
};

describe(decideInstructorBonus.name, () => {
  it('pays the founding bonus while founding spots are left', () => {
    expect(decideInstructorBonus(0, config)).toEqual({ founding: true, amountCents: 7500 });
    expect(decideInstructorBonus(99, config)).toEqual({ founding: true, amountCents: 7500 });
  });

  it('pays the standard bonus once the founding cap is used up', () => {
    expect(decideInstructorBonus(100, config)).toEqual({ founding: false, amountCents: 5000 });
    expect(decideInstructorBonus(250, config)).toEqual({ founding: false, amountCents: 5000 });
  });

  it('pays no founding bonus at all when an admin sets the cap to zero', () => {
    expect(decideInstructorBonus(0, { ...config, foundingInstructorCap: 0 }).founding).toBe(false);
  });
});
