import { mapBodyParserError } from './body-errors';

describe(mapBodyParserError.name, () => {
  it('keeps the real status of body-parser refusals', () => {
    expect(mapBodyParserError(Object.assign(new Error('x'), { type: 'entity.too.large' }))).toEqual(
      {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'request body is larger than 100kb',
      },
    );
    expect(mapBodyParserError({ status: 415, type: 'charset.unsupported' })?.status).toBe(415);
  });

  it('leaves everything else to ErrorFilter', () => {
    for (const err of [new Error('boom'), { type: 'toString' }, { type: 3 }, null, 'text']) {
      expect(mapBodyParserError(err)).toBeUndefined();
    }
  });
});
