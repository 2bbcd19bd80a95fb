import {
  API_FIND_COORDINATOR,
  API_METADATA,
  FrameReader,
  readRequestHeader,
  rewriteBrokerPorts,
} from './kafka-wire';

// Builders for the few wire types the responses under test use.
const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const varint = (n: number): Buffer => {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
};
const str = (s: string | null): Buffer =>
  s === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
const compactStr = (s: string | null): Buffer =>
  s === null ? varint(0) : Buffer.concat([varint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
const noTags = varint(0);

function frame(correlationId: number, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat([int32(correlationId), ...body]);
  return Buffer.concat([int32(payload.length), payload]);
}

/** All int32 values in the frame that equal one of the candidate ports, in order. */
function portsIn(buffer: Buffer, candidates: number[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + 4 <= buffer.length; i += 1) {
    const value = buffer.readInt32BE(i);
    if (candidates.includes(value)) found.push(value);
  }
  return found;
}

const toFront = (port: number): number | undefined =>
  ({ 40001: 9092, 40002: 9093 })[port] ?? undefined;

describe(rewriteBrokerPorts.name, () => {
  it('rewrites every broker port of a classic Metadata v6 answer and nothing else', () => {
    const broker = (id: number, port: number): Buffer =>
      Buffer.concat([int32(id), str('127.0.0.1'), int32(port), str(null)]);
    const response = frame(
      7,
      int32(0), // throttle
      int32(2),
      broker(1, 40001),
      broker(2, 40002),
      str('cluster'),
      int32(1), // controller id
      int32(0), // no topics
    );

    rewriteBrokerPorts(
      response,
      { apiKey: API_METADATA, apiVersion: 6, correlationId: 7 },
      toFront,
    );

    expect(portsIn(response, [40001, 40002, 9092, 9093])).toEqual([9092, 9093]);
    expect(response.includes(Buffer.from('cluster'))).toBe(true);
  });

  it('rewrites a Metadata v0 answer, which has no throttle time and no rack', () => {
    const response = frame(
      1,
      int32(1),
      Buffer.concat([int32(1), str('127.0.0.1'), int32(40001)]),
      int32(0),
    );

    rewriteBrokerPorts(
      response,
      { apiKey: API_METADATA, apiVersion: 0, correlationId: 1 },
      toFront,
    );

    expect(portsIn(response, [40001, 9092])).toEqual([9092]);
  });

  it('rewrites a flexible Metadata v12 answer with tagged fields and compact strings', () => {
    const response = frame(
      3,
      noTags, // response header v1
      int32(0),
      varint(2 + 1),
      Buffer.concat([
        int32(1),
        compactStr('127.0.0.1'),
        int32(40001),
        compactStr('rack-a'),
        noTags,
      ]),
      Buffer.concat([int32(2), compactStr('127.0.0.1'), int32(40002), compactStr(null), noTags]),
      compactStr('cluster'),
    );

    rewriteBrokerPorts(
      response,
      { apiKey: API_METADATA, apiVersion: 12, correlationId: 3 },
      toFront,
    );

    expect(portsIn(response, [40001, 40002, 9092, 9093])).toEqual([9092, 9093]);
  });

  it('rewrites the coordinator of a FindCoordinator v2 answer', () => {
    const response = frame(
      5,
      int32(0),
      int16(0),
      str(null),
      int32(1),
      str('127.0.0.1'),
      int32(40001),
    );

    rewriteBrokerPorts(
      response,
      { apiKey: API_FIND_COORDINATOR, apiVersion: 2, correlationId: 5 },
      toFront,
    );

    expect(portsIn(response, [40001, 9092])).toEqual([9092]);
  });

  it('rewrites each coordinator of a batched FindCoordinator v4 answer', () => {
    const coordinator = (key: string, port: number): Buffer =>
      Buffer.concat([
        compactStr(key),
        int32(1),
        compactStr('127.0.0.1'),
        int32(port),
        int16(0),
        compactStr(null),
        noTags,
      ]);
    const response = frame(
      9,
      noTags,
      int32(0),
      varint(2 + 1),
      coordinator('group-a', 40001),
      coordinator('group-b', 40002),
      noTags,
    );

    rewriteBrokerPorts(
      response,
      { apiKey: API_FIND_COORDINATOR, apiVersion: 4, correlationId: 9 },
      toFront,
    );

    expect(portsIn(response, [40001, 40002, 9092, 9093])).toEqual([9092, 9093]);
  });

  it('leaves a port it has no mapping for, such as the -1 of "no coordinator"', () => {
    const response = frame(2, int16(15), int32(-1), str(''), int32(-1));

    rewriteBrokerPorts(
      response,
      { apiKey: API_FIND_COORDINATOR, apiVersion: 0, correlationId: 2 },
      toFront,
    );

    expect(response.readInt32BE(response.length - 4)).toBe(-1);
  });

  it('throws on a truncated answer instead of writing past it', () => {
    const response = frame(4, int32(0), int32(1), int32(1), str('127.0.0.1'));

    expect(() =>
      rewriteBrokerPorts(
        response,
        { apiKey: API_METADATA, apiVersion: 6, correlationId: 4 },
        toFront,
      ),
    ).toThrow(/truncated/);
  });
});

describe(FrameReader.name, () => {
  it('returns frames only once complete, across chunk boundaries', () => {
    const reader = new FrameReader();
    const a = frame(1, int32(42));
    const b = frame(2, int32(43));
    const stream = Buffer.concat([a, b]);

    const first = reader.push(stream.subarray(0, 6));
    const rest = reader.push(stream.subarray(6));

    expect(first).toEqual([]);
    expect(rest.map((f) => f.readInt32BE(4))).toEqual([1, 2]);
  });
});

describe(readRequestHeader.name, () => {
  it('reads api key, version and correlation id', () => {
    const request = Buffer.concat([int32(10), int16(3), int16(6), int32(77), str('client')]);

    expect(readRequestHeader(request)).toEqual({ apiKey: 3, apiVersion: 6, correlationId: 77 });
  });
});
