import { PlatformError } from './errors';
import { decodeKeysetCursor, encodeKeysetCursor, KEYSET_CURSOR_PATTERN } from './keyset-cursor';

const position = {
  at: new Date('2026-03-01T10:00:00.123Z'),
  id: '5d0c2a9e-8a4f-4b7e-9c1d-2e3f4a5b6c7d',
};

describe(encodeKeysetCursor.name, () => {
  it('makes an opaque cursor that decodes to the same position', () => {
    const cursor = encodeKeysetCursor(position);

    expect(cursor).toMatch(KEYSET_CURSOR_PATTERN);
    expect(cursor).not.toContain(position.id);
    expect(decodeKeysetCursor(cursor)).toEqual(position);
  });
});

describe(decodeKeysetCursor.name, () => {
  const refusal = (cursor: string) => {
    try {
      decodeKeysetCursor(cursor);
    } catch (err) {
      return err;
    }
    throw new Error(`${cursor} was accepted`);
  };

  it.each([
    ['garbage', 'bm90LWEtY3Vyc29y'],
    ['no id', Buffer.from('2026-03-01T10:00:00.000Z|').toString('base64url')],
    ['a bad time', Buffer.from(`yesterday|${position.id}`).toString('base64url')],
    [
      'an id that is no uuid',
      Buffer.from('2026-03-01T10:00:00.000Z|1 OR 1=1').toString('base64url'),
    ],
    ['extra parts', Buffer.from(`2026-03-01T10:00:00.000Z|${position.id}|x`).toString('base64url')],
  ])('refuses a cursor with %s as VALIDATION_FAILED on the cursor field', (_what, cursor) => {
    const err = refusal(cursor);

    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
  });
});
