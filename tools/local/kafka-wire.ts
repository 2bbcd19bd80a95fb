// Just enough of the Kafka wire protocol for the broker front (kafka-front.ts): cut a byte stream
// into size-prefixed frames, read a request's header, and rewrite the broker ports that Metadata
// and FindCoordinator answers advertise. Clients connect to advertised addresses directly, so
// without the rewrite they would bypass the front and lose the broker on its next restart.

export const API_METADATA = 3;
export const API_FIND_COORDINATOR = 10;

// First flexible (tagged-field) version of each rewritten API; flexible answers use header v1.
const FIRST_FLEXIBLE: Readonly<Record<number, number>> = {
  [API_METADATA]: 9,
  [API_FIND_COORDINATOR]: 3,
};

/** Collects chunks and returns each complete frame (its 4-byte size prefix included). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const end = 4 + this.buffered.readInt32BE(0);
      if (end < 4) throw new Error('negative Kafka frame size');
      if (this.buffered.length < end) break;
      frames.push(this.buffered.subarray(0, end));
      this.buffered = this.buffered.subarray(end);
    }
    return frames;
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** Every request header starts with api key, api version and correlation id, in all versions. */
export function readRequestHeader(frame: Buffer): RequestHeader | undefined {
  if (frame.length < 12) return undefined;
  return {
    apiKey: frame.readInt16BE(4),
    apiVersion: frame.readInt16BE(6),
    correlationId: frame.readInt32BE(8),
  };
}

export function readResponseCorrelationId(frame: Buffer): number | undefined {
  return frame.length < 8 ? undefined : frame.readInt32BE(4);
}

/** True for the answers that carry broker addresses, i.e. the ones worth remembering. */
export function advertisesBrokers(apiKey: number): boolean {
  return apiKey === API_METADATA || apiKey === API_FIND_COORDINATOR;
}

/** Maps an advertised port to the one clients should use; undefined leaves it as it is. */
export type PortMap = (port: number) => number | undefined;

/**
 * Rewrites, in place, every broker port of a Metadata or FindCoordinator response frame. Only
 * the 4-byte port values change, so the frame keeps its size. Throws on a truncated frame.
 */
export function rewriteBrokerPorts(frame: Buffer, request: RequestHeader, map: PortMap): void {
  const { apiKey, apiVersion } = request;
  const firstFlexible = FIRST_FLEXIBLE[apiKey];
  if (firstFlexible === undefined) return;
  const flexible = apiVersion >= firstFlexible;
  const cursor = new Cursor(frame, 8);
  if (flexible) cursor.skipTaggedFields();
  if (apiKey === API_METADATA) rewriteMetadata(cursor, apiVersion, flexible, map);
  else rewriteFindCoordinator(cursor, apiVersion, flexible, map);
}

function rewriteMetadata(cursor: Cursor, version: number, flexible: boolean, map: PortMap): void {
  if (version >= 3) cursor.skip(4); // throttle_time_ms
  const brokers = cursor.arrayLength(flexible);
  for (let i = 0; i < brokers; i += 1) {
    cursor.skip(4); // node_id
    cursor.skipString(flexible);
    cursor.rewritePort(map);
    if (version >= 1) cursor.skipString(flexible); // rack, nullable
    if (flexible) cursor.skipTaggedFields();
  }
}

function rewriteFindCoordinator(
  cursor: Cursor,
  version: number,
  flexible: boolean,
  map: PortMap,
): void {
  if (version >= 1) cursor.skip(4); // throttle_time_ms
  if (version >= 4) {
    // One entry per requested key: key, node_id, host, port, error_code, error_message.
    const coordinators = cursor.arrayLength(true);
    for (let i = 0; i < coordinators; i += 1) {
      cursor.skipString(true);
      cursor.skip(4);
      cursor.skipString(true);
      cursor.rewritePort(map);
      cursor.skip(2);
      cursor.skipString(true);
      cursor.skipTaggedFields();
    }
    return;
  }
  cursor.skip(2); // error_code
  if (version >= 1) cursor.skipString(flexible); // error_message, nullable
  cursor.skip(4); // node_id
  cursor.skipString(flexible);
  cursor.rewritePort(map);
}

class Cursor {
  constructor(
    private readonly frame: Buffer,
    private offset: number,
  ) {}

  skip(bytes: number): void {
    this.need(bytes);
    this.offset += bytes;
  }

  /** INT32 count (classic) or UNSIGNED_VARINT count + 1 (compact); null arrays count as empty. */
  arrayLength(compact: boolean): number {
    if (compact) return Math.max(this.unsignedVarint() - 1, 0);
    this.need(4);
    const length = this.frame.readInt32BE(this.offset);
    this.offset += 4;
    return Math.max(length, 0);
  }

  /** STRING / NULLABLE_STRING (INT16 length, -1 null) or their compact forms (length + 1). */
  skipString(compact: boolean): void {
    if (compact) {
      this.skip(Math.max(this.unsignedVarint() - 1, 0));
      return;
    }
    this.need(2);
    const length = this.frame.readInt16BE(this.offset);
    this.offset += 2;
    this.skip(Math.max(length, 0));
  }

  skipTaggedFields(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i += 1) {
      this.unsignedVarint(); // tag
      this.skip(this.unsignedVarint());
    }
  }

  rewritePort(map: PortMap): void {
    this.need(4);
    const mapped = map(this.frame.readInt32BE(this.offset));
    if (mapped !== undefined) this.frame.writeInt32BE(mapped, this.offset);
    this.offset += 4;
  }

  private unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const byte = this.frame[this.offset];
      this.offset += 1;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.frame.length) throw new Error('truncated Kafka response');
  }
}
