import { PlatformError } from './errors';
import { checkRequestShape, MAX_BODY_DEPTH } from './request-shape';

const refusal = (value: unknown): PlatformError => {
  try {
    checkRequestShape(value, '');
  } catch (err) {
    if (err instanceof PlatformError) return err;
    throw err;
  }
  throw new Error('accepted');
};

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe(checkRequestShape.name, () => {
  it('accepts ordinary JSON, tabs and newlines included', () => {
    expect(() =>
      checkRequestShape({ name: 'Ana\tB', note: 'line 1\r\nline 2', tags: ['a', 1, null] }, ''),
    ).not.toThrow();
    expect(() => checkRequestShape(nested(MAX_BODY_DEPTH), '')).not.toThrow();
  });

  it.each([
    ['NUL', { displayName: 'a\u0000b' }, 'displayName'],
    ['escape', { profile: { bio: 'x\u001b[31m' } }, 'profile.bio'],
    ['DEL', { items: ['ok', 'x\u007f'] }, 'items[1]'],
  ])('refuses a %s character with 422 naming the field', (_what, body, field) => {
    const err = refusal(body);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toBe(field);
    expect(err.message).toBe(`${field} must not contain control characters`);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key with 422', (key) => {
    const body = JSON.parse(`{"a":{"${key}":{"isAdmin":true}}}`) as unknown;
    const err = refusal(body);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toBe(`a.${key}`);
  });

  it('refuses a control character in a key', () => {
    expect(refusal({ 'a\u0000': 1 }).code).toBe('VALIDATION_FAILED');
  });

  it('refuses nesting deeper than the limit with 413, without recursing', () => {
    expect(refusal(nested(MAX_BODY_DEPTH + 1)).code).toBe('PAYLOAD_TOO_LARGE');
    // Far beyond any stack: the walk stops at the limit.
    expect(refusal(JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`)).code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });
});
