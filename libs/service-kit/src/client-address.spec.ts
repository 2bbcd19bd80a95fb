import { isPublicClientAddress } from './client-address';

describe(isPublicClientAddress.name, () => {
  it.each(['203.0.113.7', '8.8.8.8', '::ffff:198.51.100.4', '2001:db8::1'])('keeps %s', (ip) => {
    expect(isPublicClientAddress(ip)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '::1',
    '::ffff:127.0.0.1',
    '10.1.2.3',
    '172.20.0.5',
    '192.168.1.1',
    'fd00::1',
    'fe80::1',
    'not-an-ip',
    undefined,
  ])('ignores %s', (ip) => {
    expect(isPublicClientAddress(ip)).toBe(false);
  });
});
