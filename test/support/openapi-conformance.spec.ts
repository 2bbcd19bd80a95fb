import { buildOpenApiDocument } from '../../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES } from '../../services/gateway/src/proxy/routes';
import { supertestAnswerProblems } from './openapi-conformance';

const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });
const GW = 'http://127.0.0.1:3000';

const answer = (
  method: string,
  path: string,
  status: number,
  text: string,
  contentType = 'application/json; charset=utf-8',
) => ({
  status,
  text,
  headers: { 'content-type': contentType },
  request: { method, url: `${GW}${path}` },
});

describe('supertestAnswerProblems', () => {
  it('accepts a redirect whose body is text, as the document has no body for it', () => {
    const redirect = answer('GET', '/r/ANA-4F7Q', 302, 'Found. Redirecting to /', 'text/plain');
    expect(supertestAnswerProblems(doc, redirect)).toEqual([]);
  });

  it('refuses a body that is not JSON where the document says JSON', () => {
    const html = answer('GET', '/wallet/me', 200, '<html></html>', 'text/html');
    expect(supertestAnswerProblems(doc, html)).toEqual([
      'GET /wallet/me -> 200: a body that is not JSON',
    ]);
  });

  it('refuses a JSON body that breaks its schema, and a status the document does not list', () => {
    const wallet = answer('GET', '/wallet/me', 200, JSON.stringify({ ownerId: 'me' }));
    expect(supertestAnswerProblems(doc, wallet)).toEqual([
      'GET /wallet/me -> 200: $.balances: missing',
      'GET /wallet/me -> 200: $.ownerId: "me" is not a uuid',
    ]);
    expect(supertestAnswerProblems(doc, answer('GET', '/wallet/me', 418, '{}'))).toEqual([
      'GET /wallet/me -> 418: status not documented',
    ]);
  });

  it('accepts a documented error answer', () => {
    const error = {
      error: { code: 'UNAUTHENTICATED', message: 'no token', requestId: 'r-1' },
    };
    expect(
      supertestAnswerProblems(doc, answer('GET', '/wallet/me', 401, JSON.stringify(error))),
    ).toEqual([]);
  });
});
