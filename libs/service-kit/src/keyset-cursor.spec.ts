import { PlatformError } from './errors';
import {
  decodeKeysetCursor,
  encodeKeysetCursor,
  KEYSET_CURSOR_PATTERN,
  keysetPage,
} from './keyset-cursor';

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

describe(keysetPage.name, () => {
  const rows = ['a', 'b', 'c'].map((id, i) => ({
    id: `00000000-0000-4000-8000-00000000000${i}`,
    at: new Date(Date.UTC(2026, 2, 1, 10, i)),
    name: id,
  }));

  it('shows `limit` rows and a cursor at the last shown when the extra row says more follow', () => {
    const page = keysetPage(rows, 2, (r) => r);

    expect(page.rows.map((r) => r.name)).toEqual(['a', 'b']);
    expect(decodeKeysetCursor(page.nextCursor ?? '')).toEqual({ at: rows[1].at, id: rows[1].id });
  });

  it('gives no cursor on the last page, full or not', () => {
    expect(keysetPage(rows, 3, (r) => r)).toEqual({ rows, nextCursor: null });
    expect(keysetPage(rows.slice(0, 1), 3, (r) => r).nextCursor).toBeNull();
    expect(keysetPage([], 3, (r: (typeof rows)[number]) => r)).toEqual({
      rows: [],
      nextCursor: null,
    });
  });
});
