import { planDebtSettlement } from './settle-debt';

describe(planDebtSettlement.name, () => {
  it('pays back the whole debt when the credit covers it', () => {
    expect(planDebtSettlement(1500, 2000)).toBe(1500);
  });

  it('pays back only what the credit covers and leaves the rest owed', () => {
    expect(planDebtSettlement(1500, 1000)).toBe(1000);
  });

  it('pays back nothing when nothing is owed', () => {
    expect(planDebtSettlement(0, 2000)).toBe(0);
  });
});
