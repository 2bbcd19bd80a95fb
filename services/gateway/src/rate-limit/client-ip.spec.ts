import type { IncomingMessage } from 'node:http';
import { clientIp } from './client-ip';

const req = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe(clientIp.name, () => {
  it('uses the peer address and ignores X-Forwarded-For without trusted proxies', () => {
    expect(clientIp(req('10.0.0.9', '1.2.3.4'), 0)).toBe('10.0.0.9');
  });

  it('takes the entry the trusted proxies appended, not what the client wrote', () => {
    // The client sent "6.6.6.6"; the ingress appended the address it saw.
    expect(clientIp(req('10.0.0.2', '6.6.6.6, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientIp(req('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.1'), 2)).toBe('203.0.113.7');
    expect(clientIp(req('10.0.0.2'), 1)).toBe('10.0.0.2');
  });
});
