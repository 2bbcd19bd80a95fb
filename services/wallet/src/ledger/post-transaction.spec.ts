import { WalletError } from '../wallet-error';
import { LedgerTransaction } from './ledger-transaction.entity';
import { assertReference, PostedTransaction, sameCause } from './post-transaction';

const earlier: PostedTransaction = {
  transaction: Object.assign(new LedgerTransaction(), {
    id: '0b6c3f52-8a57-4b8e-9d3e-5e0c1f2a3b4c',
    idempotencyKey: 'reward-unlocked:r1',
    kind: 'reward_credit',
    sourceId: 'r1',
  }),
  postings: [],
  created: false,
};

describe(sameCause.name, () => {
  it('returns the first result for a replay of the same movement', () => {
    const replay = { idempotencyKey: 'reward-unlocked:r1', kind: 'reward_credit' as const };
    expect(sameCause(earlier, { ...replay, sourceId: 'r1' })).toBe(earlier);
  });

  it('refuses a reference already used for another movement with REFERENCE_REUSED', () => {
    const other = { idempotencyKey: 'reward-unlocked:r1', kind: 'reward_void' as const };
    expect(() => sameCause(earlier, { ...other, sourceId: 'r1' })).toThrow(
      expect.objectContaining({ code: 'REFERENCE_REUSED' }) as WalletError,
    );
  });
});

describe(assertReference.name, () => {
  it.each(['', ' ', 'has space', 'x'.repeat(201)])('refuses %j with INVALID_REFERENCE', (ref) => {
    expect(() => assertReference(ref)).toThrow(
      expect.objectContaining({ code: 'INVALID_REFERENCE' }) as WalletError,
    );
  });

  it('accepts event- and request-derived keys', () => {
    expect(() =>
      assertReference('reward-unlocked:7d1b7c0e-4a0b-4c7e-9a59-2b1e3c4d5e6f'),
    ).not.toThrow();
  });
});
