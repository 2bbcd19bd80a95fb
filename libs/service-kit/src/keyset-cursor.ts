import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { toInt } from './config-decorators';
import { PlatformError } from './errors';

/** Where a page ended: the last row's sort time and id, its tie-breaker. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const MESSAGE = 'cursor must be a nextCursor from a previous page';

/** What a list's `cursor` query parameter accepts: base64url, as `encodeKeysetCursor` makes. */
export const KEYSET_CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

/** `?limit=` of a paged list: at most 100 items a page (the list picks its default). */
export class PageQuery {
  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

/** `?limit=&cursor=` of a list paged by keyset; a list's query class extends it with its filters. */
export class KeysetPageQuery extends PageQuery {
  /** The `nextCursor` of the previous page; its content is checked by `decodeKeysetCursor`. */
  @IsOptional()
  @Matches(KEYSET_CURSOR_PATTERN, { message: MESSAGE })
  cursor?: string;
}

/**
 * An opaque cursor for keyset paging on `(time, id)`: pages hold still as rows arrive or leave,
 * unlike offsets. The time keeps milliseconds, so the column must hold times written from the
 * clock (no finer).
 */
export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`).toString('base64url');
}

/** The position a cursor names; 422 VALIDATION_FAILED (field `cursor`) for anything else. */
export function decodeKeysetCursor(cursor: string): KeysetPosition {
  const [at, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const time = new Date(at ?? '');
  if (extra !== undefined || !id || !/^[0-9a-f-]{36}$/i.test(id) || isNaN(time.getTime())) {
    throw new PlatformError('VALIDATION_FAILED', MESSAGE, 'cursor');
  }
  return { at: time, id };
}

/**
 * One page out of the `limit + 1` rows a keyset query fetched: the first `limit`, and the cursor
 * after the last of them when the extra row shows that more follow.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  positionOf: (row: T) => KeysetPosition,
): { rows: T[]; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  const more = rows.length > limit && shown.length > 0;
  return {
    rows: shown,
    nextCursor: more ? encodeKeysetCursor(positionOf(shown[shown.length - 1])) : null,
  };
}
