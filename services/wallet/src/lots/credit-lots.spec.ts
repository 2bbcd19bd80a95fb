import { allocateFromLots } from './credit-lots';

describe(allocateFromLots.name, () => {
  const lots = [
    { id: 'soonest', remainingCents: 500 },
    { id: 'later', remainingCents: 2000 },
  ];

  it('takes the lots in order, the first one empty before the next', () => {
    expect(allocateFromLots(lots, 1200)).toEqual([
      { lotId: 'soonest', amountCents: 500 },
      { lotId: 'later', amountCents: 700 },
    ]);
  });

  it('takes only from the first lot when it covers the amount', () => {
    expect(allocateFromLots(lots, 300)).toEqual([{ lotId: 'soonest', amountCents: 300 }]);
  });

  it('refuses when the lots hold less than the amount', () => {
    expect(() => allocateFromLots(lots, 2501)).toThrow('credit lots hold 2500 cents, 2501 to take');
  });
});
