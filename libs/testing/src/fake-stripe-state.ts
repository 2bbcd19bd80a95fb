// The fake Stripe's durable state: what a real Stripe account would still know after the fake
// restarts (connected accounts, transfers, card payments, idempotency keys with their stored
// answers). Kept in
// one JSON file, replaced whole by write-then-rename, so a crash leaves the old or the new file
// and never half of one.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  FakeStripeAccount,
  FakeStripePaymentIntent,
  FakeStripePaymentMethod,
  FakeStripeRefund,
  FakeStripeTransfer,
} from './fake-stripe.types';
import { StoredReply } from './stripe-wire';

export interface FakeStripeState {
  accounts: FakeStripeAccount[];
  transfers: FakeStripeTransfer[];
  /** [api key + idempotency key, stored answer], oldest first. */
  idempotency: [string, StoredReply][];
  /** Each with the test card number it was made from (which decides a decline). */
  paymentMethods: { paymentMethod: FakeStripePaymentMethod; cardNumber: string }[];
  paymentIntents: FakeStripePaymentIntent[];
  refunds: FakeStripeRefund[];
}

interface StateFile extends FakeStripeState {
  version: 1;
}

/** The saved state, or undefined when there is none yet; throws on a file it cannot read. */
export function readFakeStripeState(path: string): FakeStripeState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<StateFile>;
  if (
    parsed.version !== 1 ||
    !Array.isArray(parsed.accounts) ||
    !Array.isArray(parsed.transfers) ||
    !Array.isArray(parsed.idempotency)
  ) {
    throw new Error(`${path} is not a fake Stripe state file (version 1); delete it to start over`);
  }
  return {
    accounts: parsed.accounts,
    transfers: parsed.transfers,
    idempotency: parsed.idempotency,
    // Absent from files written before the fake took payments.
    paymentMethods: Array.isArray(parsed.paymentMethods) ? parsed.paymentMethods : [],
    paymentIntents: Array.isArray(parsed.paymentIntents) ? parsed.paymentIntents : [],
    refunds: Array.isArray(parsed.refunds) ? parsed.refunds : [],
  };
}

/**
 * Synchronous on purpose: the caller answers a request only after this returns, so an answer
 * the client saw is on disk even if the process is killed right after. No fsync: surviving a
 * killed process is the goal, not a lost machine.
 */
export function writeFakeStripeState(path: string, state: FakeStripeState): void {
  mkdirSync(dirname(path), { recursive: true });
  const file: StateFile = { version: 1, ...state };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(file));
  renameSync(temp, path);
}
