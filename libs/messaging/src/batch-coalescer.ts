import { CoalesceBounds, IncomingMessage } from './message-bus';

interface Stash {
  messages: IncomingMessage[];
  bytes: number;
  since: number;
}

/** What a partition has to work on now: what was held back, then what was just fetched. */
export interface Coalesced {
  messages: IncomingMessage[];
  /** How many of `messages` came from the stash (their offsets were resolved, not committed). */
  stashed: number;
  bytes: number;
  /** When the oldest of them was fetched. */
  since: number;
}

const sizeOf = (m: IncomingMessage) => (m.value?.length ?? 0) + (m.key?.length ?? 0);

/**
 * Holds a partition's small fetches back while more is already waiting in the broker, so that
 * a backlog is applied in a few large transactions instead of one per producer send (a broker
 * may answer a fetch with one message set per partition, however far behind the consumer is).
 * Nothing held here is committed: a stash lost to a rebalance or a crash is fetched again from
 * the committed offset by whoever owns the partition next.
 */
export class BatchCoalescer {
  private readonly stashes = new Map<string, Stash>();

  constructor(
    private readonly bounds: CoalesceBounds | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Forgets every stash: fetching starts again from the committed offsets (rejoin, restart,
   * stop). Answers how many messages each partition had held back.
   */
  reset(): Array<{ topic: string; partition: number; messages: number }> {
    const forgotten = [...this.stashes.values()].map((stash) => ({
      topic: stash.messages[0].topic,
      partition: stash.messages[0].partition,
      messages: stash.messages.length,
    }));
    this.stashes.clear();
    return forgotten;
  }

  /** Forgets one partition's stash. */
  drop(topic: string, partition: number): void {
    this.stashes.delete(`${topic}/${partition}`);
  }

  /**
   * Takes the partition's stash out and puts the fetched messages after it. Stashed messages at
   * or past the first fetched offset are left out: the fetch position went back, they came again.
   */
  take(topic: string, partition: number, fetched: IncomingMessage[]): Coalesced {
    const key = `${topic}/${partition}`;
    const stash = this.stashes.get(key);
    this.stashes.delete(key);
    const fetchedBytes = fetched.reduce((sum, m) => sum + sizeOf(m), 0);
    if (stash === undefined) {
      return { messages: fetched, stashed: 0, bytes: fetchedBytes, since: this.now() };
    }
    const first = fetched.length > 0 ? BigInt(fetched[0].offset) : undefined;
    const kept =
      first === undefined ? stash.messages : stash.messages.filter((m) => BigInt(m.offset) < first);
    const bytes = kept === stash.messages ? stash.bytes : kept.reduce((s, m) => s + sizeOf(m), 0);
    return {
      messages: [...kept, ...fetched],
      stashed: kept.length,
      bytes: bytes + fetchedBytes,
      since: kept.length > 0 ? stash.since : this.now(),
    };
  }

  /**
   * Whether to hold these messages for the partition's next fetch instead of applying them now:
   * only while the broker already has more for it (so that fetch is coming), and within bounds.
   */
  shouldHold(coalesced: Coalesced, offsetLag: bigint): boolean {
    const { bounds } = this;
    if (bounds === undefined || offsetLag <= 0n) return false;
    return (
      coalesced.messages.length < bounds.maxMessages &&
      coalesced.bytes < bounds.maxBytes &&
      this.now() - coalesced.since < bounds.maxAgeMs
    );
  }

  /** Keeps the messages for the partition's next batch. */
  hold(topic: string, partition: number, coalesced: Coalesced): void {
    const { messages, bytes, since } = coalesced;
    this.stashes.set(`${topic}/${partition}`, { messages, bytes, since });
  }
}
