import type { OpenApiDocument } from './openapi-document';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A readable page of the document, rendered here as plain HTML (no script, no external asset:
 * the gateway's Content-Security-Policy allows none): every operation, who may call it, its
 * request and answer schemas, and the error codes it may answer.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const sections = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const o = op as {
        operationId: string;
        summary: string;
        security: unknown[];
        'x-roles'?: string[];
        requestBody?: unknown;
        responses: Record<string, { description: string; content?: unknown }>;
      };
      const who =
        o.security.length === 0
          ? 'public'
          : o['x-roles']
            ? `bearer token with role ${o['x-roles'].join(' or ')}`
            : 'bearer token';
      const responses = Object.entries(o.responses)
        .map(([status, r]) => `<tr><td>${status}</td><td>${escape(r.description)}</td></tr>`)
        .join('');
      return [
        `<section id="${escape(o.operationId)}">`,
        `<h2>${method.toUpperCase()} ${escape(path)}</h2>`,
        `<p>${escape(o.summary)} <em>(${escape(o.operationId)}; ${escape(who)})</em></p>`,
        o.requestBody
          ? `<h3>Request</h3><pre>${escape(JSON.stringify(o.requestBody, null, 2))}</pre>`
          : '',
        `<h3>Answers</h3><table><tr><th>status</th><th>meaning</th></tr>${responses}</table>`,
        '</section>',
      ].join('\n');
    }),
  );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(doc.info.title)}</title></head><body>`,
    `<h1>${escape(doc.info.title)}</h1>`,
    `<p>${escape(doc.info.description)}</p>`,
    '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Schemas:</p>',
    `<pre>${escape(JSON.stringify(doc.components.schemas, null, 2))}</pre>`,
    ...sections,
    '</body></html>',
  ].join('\n');
}
