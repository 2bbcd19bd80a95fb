import { ManualClock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccount, LedgerAccountKind } from '../ledger/ledger-account.entity';
import { accountKeyOf, LedgerAccounts } from '../ledger/ledger-accounts';
import { PreparedTransaction } from '../ledger/ledger-insert';
import { PostTransaction } from '../ledger/post-transaction';
import { WalletError } from '../wallet-error';
import { CaptureHeldReservations } from './capture-held-reservations.usecase';
import { CaptureStatements } from './capture-statements';
import { CreditReservation } from './credit-reservation';

const STUDENT = '11111111-1111-4111-8111-111111111111';
const account = (
  id: string,
  kind: LedgerAccountKind,
  ownerId: string | null,
  balanceCents: number | null,
): LedgerAccount =>
  Object.assign(new LedgerAccount(), {
    id,
    kind,
    ownerId,
    currency: 'USD',
    createdAt: new Date(0),
    balanceCents,
  });
const redeemed = account('p-1', 'platform_credit_redeemed', null, null);

const hold = (reference: string, creditCents: number, status = 'held'): CreditReservation => ({
  reference,
  bookingId: `booking-${reference}`,
  studentId: STUDENT,
  creditCents,
  instructorId: null,
  feeRebateCents: 0,
  currency: 'USD',
  status: status as CreditReservation['status'],
  expiresAt: new Date(0),
  reserveTransactionId: `reserve-${reference}`,
  captureTransactionId: null,
  returnTransactionId: null,
  releaseReason: null,
  creditShortfallCents: 0,
  feeRebateShortfallCents: 0,
  debitAnnouncedAt: null,
});

describe(CaptureHeldReservations.name, () => {
  let written: Array<Array<{ reference: string; prepared: PreparedTransaction }>>;
  let taken: Set<string>;
  let capture: CaptureHeldReservations;

  beforeEach(() => {
    written = [];
    taken = new Set();
    const clock = new ManualClock(new Date('2026-03-01T00:00:00.000Z'));
    // The platform account is the only one not locked by the prelude: answered as read.
    const accounts = {
      findAndLockAll: () =>
        Promise.resolve({ accounts: new Map([[accountKeyOf(redeemed), redeemed]]), locked: true }),
    } as unknown as LedgerAccounts;
    const statements = {
      writeCaptures: (
        _tx: EntityManager,
        captures: Array<{ reference: string; prepared: PreparedTransaction }>,
      ) => {
        written.push(captures);
        return Promise.resolve(
          new Set(captures.map((c) => c.reference).filter((r) => !taken.has(r))),
        );
      },
    } as unknown as CaptureStatements;
    capture = new CaptureHeldReservations(new PostTransaction(accounts, clock), statements, clock);
  });

  const runOf = (reservedCents: number, reservations: CreditReservation[]) => {
    const reserved = account('u-1', 'user_reserved', STUDENT, reservedCents);
    return { reservations, accounts: new Map([[accountKeyOf(reserved), reserved]]) };
  };

  it('writes every held reservation in one statement, each from its reserved account to the platform', async () => {
    const captured = await capture.execute(
      {} as EntityManager,
      runOf(900, [hold('q-1', 300), hold('q-2', 100, 'captured'), hold('q-3', 600)]),
    );
    expect(written).toHaveLength(1);
    expect(
      written[0].map((c) => ({
        reference: c.reference,
        key: c.prepared.transaction.idempotencyKey,
        legs: c.prepared.legs.map((l) => [l.account.id, l.amountCents]),
      })),
    ).toEqual([
      {
        reference: 'q-1',
        key: 'checkout-capture:q-1',
        legs: [
          ['u-1', -300],
          ['p-1', 300],
        ],
      },
      {
        reference: 'q-3',
        key: 'checkout-capture:q-3',
        legs: [
          ['u-1', -600],
          ['p-1', 600],
        ],
      },
    ]);
    expect(
      [...captured.values()].map((r) => [r.reference, r.status, r.captureTransactionId]),
    ).toEqual(written[0].map((c) => [c.reference, 'captured', c.prepared.transaction.id]));
  });

  it('checks each capture against the reserved balance the ones before it in the run leave', async () => {
    const run = runOf(800, [hold('q-1', 300), hold('q-2', 600)]);
    await expect(capture.execute({} as EntityManager, run)).rejects.toThrow(
      expect.objectContaining({
        code: 'INSUFFICIENT_CREDIT',
        details: expect.objectContaining({ balanceCents: 500, requiredCents: 600 }),
      }) as WalletError,
    );
    expect(written).toEqual([]);
    // The prelude's account is left as it read it.
    expect([...run.accounts.values()][0].balanceCents).toBe(800);
  });

  it('answers only the reservations the statement wrote', async () => {
    taken.add('q-2');
    const captured = await capture.execute(
      {} as EntityManager,
      runOf(900, [hold('q-1', 300), hold('q-2', 600)]),
    );
    expect([...captured.keys()]).toEqual(['q-1']);
  });

  it('writes nothing when nothing is held', async () => {
    const captured = await capture.execute(
      {} as EntityManager,
      runOf(0, [hold('q-1', 300, 'captured'), hold('q-2', 600, 'released')]),
    );
    expect(captured.size).toBe(0);
    expect(written).toEqual([]);
  });
});
