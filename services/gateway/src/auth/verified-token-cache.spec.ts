import { VerifiedTokenCache } from './verified-token-cache';

const NOW_MS = 1_767_225_600_000;
const caller = (userId: string) => ({ userId, roles: ['student' as const] });

describe(VerifiedTokenCache.name, () => {
  it('answers a token until the TTL ends when its exp is later', () => {
    const cache = new VerifiedTokenCache(30_000, 10);
    cache.set('t', caller('u-1'), NOW_MS / 1000 + 3600, NOW_MS);
    expect(cache.get('t', NOW_MS + 29_999)).toEqual(caller('u-1'));
    expect(cache.get('t', NOW_MS + 30_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers a token only until its exp when that comes before the TTL', () => {
    const cache = new VerifiedTokenCache(30_000, 10);
    cache.set('t', caller('u-1'), NOW_MS / 1000 + 5, NOW_MS);
    expect(cache.get('t', NOW_MS + 4_999)).toEqual(caller('u-1'));
    expect(cache.get('t', NOW_MS + 5_000)).toBeUndefined();
  });

  it('does not store a token at or past its exp', () => {
    const cache = new VerifiedTokenCache(30_000, 10);
    cache.set('t', caller('u-1'), NOW_MS / 1000, NOW_MS);
    expect([cache.size, cache.get('t', NOW_MS)]).toEqual([0, undefined]);
  });

  it('forgets the oldest token when full, and everything on clear', () => {
    const cache = new VerifiedTokenCache(30_000, 2);
    const exp = NOW_MS / 1000 + 60;
    cache.set('a', caller('u-a'), exp, NOW_MS);
    cache.set('b', caller('u-b'), exp, NOW_MS);
    cache.set('c', caller('u-c'), exp, NOW_MS);
    expect(['a', 'b', 'c'].map((t) => cache.get(t, NOW_MS)?.userId)).toEqual([
      undefined,
      'u-b',
      'u-c',
    ]);
    cache.clear();
    expect(cache.get('c', NOW_MS)).toBeUndefined();
  });

  it('shares a frozen copy, so no request can change the next one’s caller', () => {
    const cache = new VerifiedTokenCache(30_000, 10);
    const original = caller('u-1');
    cache.set('t', original, NOW_MS / 1000 + 60, NOW_MS);
    original.roles.push('student');
    const stored = cache.get('t', NOW_MS)!;
    expect(stored.roles).toEqual(['student']);
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.roles)).toBe(true);
  });
});
