import {
  codeMatches,
  generateVerificationCode,
  hashVerificationCode,
  sendWaitMs,
} from './verification-code';

const pepper = 'a-pepper-that-is-long-enough-for-tests';
const now = new Date('2026-12-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const limits = { sendsPerHour: 3, cooldownMs: 30_000 };

describe(generateVerificationCode.name, () => {
  it('makes six digits', () => {
    for (let i = 0; i < 50; i++) expect(generateVerificationCode()).toMatch(/^\d{6}$/);
  });
});

describe(hashVerificationCode.name, () => {
  it('hashes one code differently under two ids and never keeps the code', () => {
    const a = hashVerificationCode(pepper, 'id-1', '123456');
    expect(a).not.toContain('123456');
    expect(hashVerificationCode(pepper, 'id-2', '123456')).not.toBe(a);
    expect(hashVerificationCode('another-pepper-that-is-long-enough', 'id-1', '123456')).not.toBe(
      a,
    );
  });

  it('matches only the right code', () => {
    const hash = hashVerificationCode(pepper, 'id-1', '012345');
    expect(codeMatches(pepper, 'id-1', '012345', hash)).toBe(true);
    expect(codeMatches(pepper, 'id-1', '12345', hash)).toBe(false);
    expect(codeMatches(pepper, 'id-1', '012346', hash)).toBe(false);
  });
});

describe(sendWaitMs.name, () => {
  it('lets the first code go at once', () => {
    expect(sendWaitMs([], now, limits)).toBe(0);
  });

  it('makes the user wait out the cooldown after a send', () => {
    expect(sendWaitMs([ago(10_000)], now, limits)).toBe(20_000);
    expect(sendWaitMs([ago(30_000)], now, limits)).toBe(0);
  });

  it('refuses a send past the hourly limit until the oldest counted send is an hour old', () => {
    const sends = [ago(60_000), ago(20 * 60_000), ago(50 * 60_000)];
    expect(sendWaitMs(sends, now, limits)).toBe(10 * 60_000);
    expect(sendWaitMs([ago(60_000), ago(20 * 60_000), ago(61 * 60_000)], now, limits)).toBe(0);
  });
});
