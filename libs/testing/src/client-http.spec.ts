import { clientRequest, errorCode, parseAnswer } from './client-http';

describe('client-http', () => {
  it('reads the error code from either error shape, and nothing from other bodies', () => {
    expect(errorCode('{"error":{"code":"NOT_FOUND","message":"x"}}')).toBe('NOT_FOUND');
    expect(errorCode('{"code":"RATE_LIMITED","message":"x"}')).toBe('RATE_LIMITED');
    expect(errorCode('{"error":{"code":7}}')).toBeUndefined();
    expect(errorCode('<html>bad gateway</html>')).toBeUndefined();
  });

  it('sends JSON before a form, and a bearer token when given', () => {
    expect(clientRequest({ token: 't', json: { a: 1 }, form: { b: '2' } })).toEqual({
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(clientRequest({ form: { b: '2 3' } })).toEqual({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'b=2+3',
    });
    expect(clientRequest({})).toEqual({ headers: {}, body: undefined });
  });

  it('answers undefined for an empty body', () => {
    expect(parseAnswer('')).toBeUndefined();
    expect(parseAnswer<{ a: number }>('{"a":1}')).toEqual({ a: 1 });
  });
});
