import { Currency } from '@rewards/contracts';
import { WalletError } from '../wallet-error';
import {
  isUserAccountKind,
  LedgerAccountKind,
  PlatformAccountKind,
  UserAccountKind,
} from './ledger-account.entity';

/** Names an account by what it is; the posting use case finds or opens it. */
export interface AccountRef {
  kind: LedgerAccountKind;
  /** The holder of a user account; null for a platform account. */
  ownerId: string | null;
  currency: Currency;
}

/** One side of a transaction: a signed amount on an account. */
export interface Leg {
  account: AccountRef;
  amountCents: number;
}

export interface ValidatedLegs {
  /** The one currency of the transaction; null for a transaction without legs. */
  currency: Currency | null;
  /** Net amount per account, for balance checks (an account may appear in several legs). */
  netByAccount: Array<{ account: AccountRef; amountCents: number }>;
}

export function userAccount(
  kind: UserAccountKind,
  ownerId: string,
  currency: Currency,
): AccountRef {
  return { kind, ownerId, currency };
}

export function platformAccount(kind: PlatformAccountKind, currency: Currency): AccountRef {
  return { kind, ownerId: null, currency };
}

export function accountRefKey(ref: AccountRef): string {
  return `${ref.kind}:${ref.ownerId ?? 'platform'}:${ref.currency}`;
}

/**
 * Checks a transaction's legs before anything is written: non-zero integer amounts, accounts
 * that make sense for their kind, one currency, and a sum of zero. A transaction without legs
 * is a memo (it records that nothing could move, and why), so it must carry a note.
 */
export function validateLegs(legs: readonly Leg[], note: string | null = null): ValidatedLegs {
  if (legs.length === 0) {
    if (note === null || note.trim() === '') {
      throw new WalletError(
        'EMPTY_TRANSACTION',
        'a transaction without legs must say why in its note',
      );
    }
    return { currency: null, netByAccount: [] };
  }
  const currency = legs[0].account.currency;
  // BigInt so a sum of large legs cannot lose precision and look balanced.
  let sum = 0n;
  const net = new Map<string, { account: AccountRef; amountCents: number }>();
  for (const [index, leg] of legs.entries()) {
    if (!Number.isSafeInteger(leg.amountCents) || leg.amountCents === 0) {
      throw new WalletError(
        'INVALID_LEG_AMOUNT',
        `leg ${index}: amountCents must be a non-zero integer, got ${leg.amountCents}`,
      );
    }
    assertAccountRef(leg.account, index);
    // Compared as strings: with a single known currency the types would call this impossible.
    const [legCurrency, txCurrency]: string[] = [leg.account.currency, currency];
    if (legCurrency !== txCurrency) {
      throw new WalletError(
        'MIXED_CURRENCIES',
        `leg ${index} is in ${legCurrency} but the transaction is in ${txCurrency}`,
      );
    }
    sum += BigInt(leg.amountCents);
    const key = accountRefKey(leg.account);
    const entry = net.get(key) ?? { account: leg.account, amountCents: 0 };
    entry.amountCents += leg.amountCents;
    net.set(key, entry);
  }
  if (sum !== 0n) {
    throw new WalletError('UNBALANCED_TRANSACTION', `legs sum to ${sum.toString()} instead of 0`, {
      sumCents: sum.toString(),
    });
  }
  const netByAccount = [...net.values()];
  const unsafe = netByAccount.find((n) => !Number.isSafeInteger(n.amountCents));
  if (unsafe) {
    throw new WalletError(
      'INVALID_LEG_AMOUNT',
      `legs on ${accountRefKey(unsafe.account)} add up past 2^53`,
    );
  }
  return { currency, netByAccount };
}

function assertAccountRef(ref: AccountRef, index: number): void {
  if (isUserAccountKind(ref.kind)) {
    if (ref.ownerId === null || ref.ownerId === '') {
      throw new WalletError(
        'INVALID_ACCOUNT_REF',
        `leg ${index}: a ${ref.kind} account needs an owner`,
      );
    }
  } else if (ref.ownerId !== null) {
    throw new WalletError(
      'INVALID_ACCOUNT_REF',
      `leg ${index}: a ${ref.kind} account has no owner`,
    );
  }
}
