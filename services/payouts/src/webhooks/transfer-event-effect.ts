/** Reason codes a webhook puts on a payout; published as payout-failed's `reason`. */
type TransferEventReason = 'TRANSFER_FAILED' | 'TRANSFER_REVERSED';

/** What a Stripe event means for one payout, when it means anything. */
export interface TransferEventEffect {
  payoutId: string;
  transferId: string;
  status: 'failed' | 'reversed';
  reason: TransferEventReason;
  message: string;
}

/** The fields of a Stripe event this service reads; everything else is ignored. */
export interface StripeEventLike {
  id: string;
  type: string;
  data: { object: unknown };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TransferFields {
  id?: unknown;
  object?: unknown;
  reversed?: unknown;
  amount?: unknown;
  amount_reversed?: unknown;
  transfer_group?: unknown;
  metadata?: { payout_id?: unknown } | null;
}

/**
 * Reads a transfer.failed, transfer.reversed or transfer.updated (showing the transfer
 * reversed) event as a payout going failed or reversed. States only ever move forward, so an
 * event that arrives late or out of order (an update from before the reversal) changes nothing.
 * Any other type, or a transfer that is not one of ours, has no effect.
 */
export function transferEventEffect(event: StripeEventLike): TransferEventEffect | undefined {
  const transfer = event.data.object as TransferFields | null;
  if (transfer?.object !== 'transfer' || typeof transfer.id !== 'string') return undefined;
  const group = transfer.transfer_group;
  const fromMetadata = transfer.metadata?.payout_id;
  const payoutId =
    typeof group === 'string' && UUID.test(group)
      ? group
      : typeof fromMetadata === 'string' && UUID.test(fromMetadata)
        ? fromMetadata
        : undefined;
  if (payoutId === undefined) return undefined;
  const reversedAmount =
    typeof transfer.amount_reversed === 'number' ? transfer.amount_reversed : 0;
  const reversal = (): TransferEventEffect => ({
    payoutId,
    transferId: transfer.id as string,
    status: 'reversed',
    reason: 'TRANSFER_REVERSED',
    message: `Stripe reversed transfer ${String(transfer.id)} (${reversedAmount} of ${String(transfer.amount)} cents)`,
  });
  switch (event.type) {
    case 'transfer.failed':
      return {
        payoutId,
        transferId: transfer.id,
        status: 'failed',
        reason: 'TRANSFER_FAILED',
        message: `Stripe reported transfer ${transfer.id} failed`,
      };
    case 'transfer.reversed':
      return reversal();
    case 'transfer.updated':
      return transfer.reversed === true ? reversal() : undefined;
    default:
      return undefined;
  }
}
