import { creditedTouch } from './signup-attribution';
import { codeOfSlug } from './slug';

const touch = (code: string, at: string, source: 'click' | 'code' = 'click') => ({
  code,
  at: new Date(at),
  source,
  clickId: null,
});

describe(creditedTouch.name, () => {
  const touches = [
    touch('BBBB2222', '2026-11-10T00:00:00Z'),
    touch('AAAA1111', '2026-11-01T00:00:00Z'),
    touch('CCCC3333', '2026-11-20T00:00:00Z', 'code'),
  ];

  it('credits the last touch by default model', () => {
    expect(creditedTouch(touches, 'last_click')?.code).toBe('CCCC3333');
  });

  it('credits the first touch under the first-click model', () => {
    expect(creditedTouch(touches, 'first_click')?.code).toBe('AAAA1111');
  });

  it('credits nothing without touches', () => {
    expect(creditedTouch([], 'last_click')).toBeUndefined();
  });
});

describe(codeOfSlug.name, () => {
  it('upper-cases a well-formed slug', () => {
    expect(codeOfSlug('abcd2345')).toBe('ABCD2345');
  });

  it.each(['abc', 'A'.repeat(33), 'abc!defg', '../admin', 'abcd efgh', ''])(
    'refuses %p',
    (slug) => {
      expect(codeOfSlug(slug)).toBeUndefined();
    },
  );
});
