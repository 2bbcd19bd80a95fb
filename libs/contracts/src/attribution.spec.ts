import { attributionHash, readClickToken, signClickToken } from './attribution';

describe('attribution cookie', () => {
  const pepper = 'pepper-for-tests-0123456789abcdef';
  const click = {
    clickId: '0b6f3f9e-3c1a-4a47-9d2e-6b7c1f2a9e01',
    code: 'ANNA2024',
    clickedAt: new Date('2026-12-01T09:15:30.123Z'),
  };

  it('reads back the click it signed', () => {
    const token = signClickToken(pepper, click);
    expect(token.startsWith(`${click.clickId}.ANNA2024.`)).toBe(true);
    expect(readClickToken(pepper, token)).toEqual(click);
  });

  it('refuses a token whose code, time or id was changed, or that another pepper signed', () => {
    const token = signClickToken(pepper, click);
    const [id, code, at, mac] = token.split('.');
    expect(readClickToken(pepper, [id, 'MALLORY1', at, mac].join('.'))).toBeUndefined();
    const earlier = (click.clickedAt.getTime() - 86_400_000).toString(36);
    expect(readClickToken(pepper, [id, code, earlier, mac].join('.'))).toBeUndefined();
    const other = '1b6f3f9e-3c1a-4a47-9d2e-6b7c1f2a9e01';
    expect(readClickToken(pepper, [other, code, at, mac].join('.'))).toBeUndefined();
    expect(readClickToken('another-pepper-0123456789abcdef', token)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['a bare click id (the earlier cookie)', '0b6f3f9e-3c1a-4a47-9d2e-6b7c1f2a9e01'],
    ['too few parts', 'a.b.c'],
    ['too many parts', 'a.b.c.d.e'],
    ['a lower-case code', '0b6f3f9e-3c1a-4a47-9d2e-6b7c1f2a9e01.anna.abc.AAAAAAAAAAAAAAAAAAAAAA'],
    ['an oversized value', 'x'.repeat(4096)],
    ['a short MAC', '0b6f3f9e-3c1a-4a47-9d2e-6b7c1f2a9e01.ANNA.abc.AAAA'],
  ])('refuses %s without throwing', (_what, value) => {
    expect(readClickToken(pepper, value)).toBeUndefined();
  });

  it('hashes a device and an IP apart, and the same input alike', () => {
    expect(attributionHash(pepper, 'device', 'x')).toBe(attributionHash(pepper, 'device', 'x'));
    expect(attributionHash(pepper, 'device', 'x')).not.toBe(attributionHash(pepper, 'ip', 'x'));
    expect(attributionHash(pepper, 'ip', '203.0.113.9')).toMatch(/^[0-9a-f]{64}$/);
  });
});
