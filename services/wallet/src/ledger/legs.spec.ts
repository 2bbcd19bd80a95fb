import { Currency } from '@rewards/contracts';
import { WalletError } from '../wallet-error';
import { AccountRef, Leg, platformAccount, userAccount, validateLegs } from './legs';

const OWNER = '7d1b7c0e-4a0b-4c7e-9a59-2b1e3c4d5e6f';
const user = userAccount('user_credit', OWNER, 'USD');
const expense = platformAccount('platform_rewards_expense', 'USD');

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof WalletError) return err.code;
    throw err;
  }
  return undefined;
}

describe(validateLegs.name, () => {
  it('accepts legs that sum to zero in one currency and nets them per account', () => {
    const result = validateLegs([
      { account: user, amountCents: 2000 },
      { account: expense, amountCents: -1500 },
      { account: expense, amountCents: -500 },
    ]);
    expect(result.currency).toBe('USD');
    expect(result.netByAccount).toEqual([
      { account: user, amountCents: 2000 },
      { account: expense, amountCents: -2000 },
    ]);
  });

  it('refuses legs that do not sum to zero', () => {
    expect(
      codeOf(() =>
        validateLegs([
          { account: user, amountCents: 2000 },
          { account: expense, amountCents: -1999 },
        ]),
      ),
    ).toBe('UNBALANCED_TRANSACTION');
  });

  it('refuses a single leg, which can never balance', () => {
    expect(codeOf(() => validateLegs([{ account: user, amountCents: 1 }]))).toBe(
      'UNBALANCED_TRANSACTION',
    );
  });

  it('does not mistake a sum past 2^53 for zero', () => {
    const big = Number.MAX_SAFE_INTEGER;
    // In floating point big + 2 rounds down to 2^53, so this would look balanced; it is off by 1.
    const legs: Leg[] = [
      { account: user, amountCents: big },
      { account: user, amountCents: 2 },
      { account: expense, amountCents: -big },
      { account: expense, amountCents: -1 },
    ];
    expect(legs.reduce((sum, l) => sum + l.amountCents, 0)).toBe(0);
    expect(codeOf(() => validateLegs(legs))).toBe('UNBALANCED_TRANSACTION');
  });

  it('refuses legs in more than one currency', () => {
    const otherCurrency: AccountRef = { ...expense, currency: 'EUR' as Currency };
    expect(
      codeOf(() =>
        validateLegs([
          { account: user, amountCents: 100 },
          { account: otherCurrency, amountCents: -100 },
        ]),
      ),
    ).toBe('MIXED_CURRENCIES');
  });

  it.each([
    ['zero', 0],
    ['fractional', 10.5],
    ['NaN', Number.NaN],
    ['unsafe', 2 ** 60],
  ])('refuses a %s amount', (_what, amountCents) => {
    expect(
      codeOf(() =>
        validateLegs([
          { account: user, amountCents },
          { account: expense, amountCents: -amountCents },
        ]),
      ),
    ).toBe('INVALID_LEG_AMOUNT');
  });

  it('refuses a user account without an owner and a platform account with one', () => {
    const ownerless: AccountRef = { kind: 'user_credit', ownerId: null, currency: 'USD' };
    const owned: AccountRef = { ...expense, ownerId: OWNER };
    expect(
      codeOf(() =>
        validateLegs([
          { account: ownerless, amountCents: 100 },
          { account: expense, amountCents: -100 },
        ]),
      ),
    ).toBe('INVALID_ACCOUNT_REF');
    expect(
      codeOf(() =>
        validateLegs([
          { account: user, amountCents: 100 },
          { account: owned, amountCents: -100 },
        ]),
      ),
    ).toBe('INVALID_ACCOUNT_REF');
  });

  it('accepts a transaction without legs only when its note says why', () => {
    expect(codeOf(() => validateLegs([]))).toBe('EMPTY_TRANSACTION');
    expect(codeOf(() => validateLegs([], '  '))).toBe('EMPTY_TRANSACTION');
    expect(validateLegs([], 'reward voided; nothing left to recover')).toEqual({
      currency: null,
      netByAccount: [],
    });
  });
});
