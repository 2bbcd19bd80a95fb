import { planLateCapture } from './capture-reservation.usecase';

describe(planLateCapture.name, () => {
  it('takes the whole hold when the owner still has it', () => {
    expect(planLateCapture(2000, 2500)).toEqual({ takeCents: 2000, owedCents: 0 });
  });

  it('takes what is left and leaves the rest owed', () => {
    expect(planLateCapture(2000, 600)).toEqual({ takeCents: 600, owedCents: 1400 });
  });

  it('owes all of it when nothing is left', () => {
    expect(planLateCapture(2000, 0)).toEqual({ takeCents: 0, owedCents: 2000 });
  });
});
