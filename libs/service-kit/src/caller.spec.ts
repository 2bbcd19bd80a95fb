import { callerFromHeaders } from './caller';

const USER = '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01';

describe(callerFromHeaders.name, () => {
  it('reads the user id and the known roles the gateway vouched for', () => {
    expect(callerFromHeaders({ 'x-user-id': USER, 'x-user-roles': 'instructor,root' })).toEqual({
      userId: USER,
      roles: ['instructor'],
    });
  });

  it.each([
    ['no headers', {}],
    ['no roles header', { 'x-user-id': USER }],
    [
      'a user id that is not a UUID',
      { 'x-user-id': 'robert); drop table', 'x-user-roles': 'student' },
    ],
  ])('finds no caller with %s', (_what, headers) => {
    expect(callerFromHeaders(headers)).toBeUndefined();
  });
});
