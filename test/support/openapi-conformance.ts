import type { OpenApiDocument } from '../../services/gateway/src/openapi/openapi-document';
import type { JsonSchema } from '../../services/gateway/src/openapi/json-schema';

type Schema = JsonSchema & Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where `value` breaks `schema` (the subset the gateway's document uses); empty when it fits. */
export function schemaErrors(
  doc: OpenApiDocument,
  schema: JsonSchema,
  value: unknown,
  path = '$',
): string[] {
  const s = schema as Schema;
  if ('$ref' in s && typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    return target ? schemaErrors(doc, target, value, path) : [`${path}: no schema ${name}`];
  }
  if ('oneOf' in s && Array.isArray(s.oneOf)) {
    const fits = (s.oneOf as JsonSchema[]).some(
      (option) => schemaErrors(doc, option, value, path).length === 0,
    );
    return fits ? [] : [`${path}: fits none of its options: ${JSON.stringify(value)}`];
  }
  const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
  if (value === null) return types.includes('null') ? [] : [`${path}: null`];
  const kind = Array.isArray(value) ? 'array' : typeof value;
  const wrong = (expected: string) => [`${path}: ${JSON.stringify(value)} is not ${expected}`];
  switch (types[0]) {
    case 'string': {
      if (kind !== 'string') return wrong('a string');
      const text = value as string;
      const errors: string[] = [];
      if (Array.isArray(s.enum) && !s.enum.includes(text)) errors.push(...wrong('allowed'));
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(text)) {
        errors.push(...wrong(`matching ${s.pattern}`));
      }
      if (s.format === 'uuid' && !UUID.test(text)) errors.push(...wrong('a uuid'));
      if (s.format === 'date-time' && Number.isNaN(Date.parse(text))) {
        errors.push(...wrong('a date-time'));
      }
      return errors;
    }
    case 'integer':
      return Number.isInteger(value) ? [] : wrong('an integer');
    case 'number':
      return kind === 'number' ? [] : wrong('a number');
    case 'boolean':
      return kind === 'boolean' ? [] : wrong('a boolean');
    case 'null':
      return wrong('null');
    case 'array':
      return kind === 'array'
        ? (value as unknown[]).flatMap((item, i) =>
            schemaErrors(doc, s.items as JsonSchema, item, `${path}[${i}]`),
          )
        : wrong('an array');
    case 'object': {
      if (kind !== 'object') return wrong('an object');
      const object = value as Record<string, unknown>;
      const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
      const errors = ((s.required ?? []) as string[])
        .filter((name) => !(name in object))
        .map((name) => `${path}.${name}: missing`);
      for (const [name, field] of Object.entries(object)) {
        const declared = properties[name];
        if (declared) errors.push(...schemaErrors(doc, declared, field, `${path}.${name}`));
        else if (s.additionalProperties === false) errors.push(`${path}.${name}: not documented`);
        else if (s.additionalProperties) {
          errors.push(
            ...schemaErrors(doc, s.additionalProperties as JsonSchema, field, `${path}.${name}`),
          );
        }
      }
      return errors;
    }
    default:
      return [];
  }
}

/** What stands for a body that is not JSON (a redirect's text, an HTML page). */
const NOT_JSON = Symbol('not JSON');

/** An answer's body as the checks read it: undefined when empty, NOT_JSON when not JSON. */
function bodyOf(text: string, contentType: string | null | undefined): unknown {
  if (text === '') return undefined;
  if (!/\bjson\b/i.test(contentType ?? '')) return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

interface Operation {
  responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
}

/**
 * What is wrong with one answer by the document: its operation must exist, its status be
 * documented, and its JSON body fit that status's schema. Empty when it conforms.
 */
function answerProblems(
  doc: OpenApiDocument,
  method: string,
  url: URL,
  status: number,
  body: unknown,
): { operation?: string; problems: string[] } {
  const call = `${method} ${url.pathname} -> ${status}`;
  for (const [template, verbs] of Object.entries(doc.paths)) {
    const op = verbs[method.toLowerCase()] as unknown as Operation | undefined;
    if (!op || !new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(url.pathname)) {
      continue;
    }
    const operation = `${method} ${template} ${status}`;
    const response = op.responses[String(status)];
    if (!response) return { operation, problems: [`${call}: status not documented`] };
    const schema = response.content?.['application/json'].schema;
    if (!schema) return { operation, problems: [] };
    const errors =
      body === undefined
        ? ['no body']
        : body === NOT_JSON
          ? ['a body that is not JSON']
          : schemaErrors(doc, schema, body);
    return { operation, problems: errors.map((e) => `${call}: ${e}`) };
  }
  return { problems: [`${call}: no such operation in the document`] };
}

type SupertestAnswer = {
  status: number;
  text: string;
  headers: Record<string, string>;
  request: { method: string; url: string };
};

/** A supertest answer checked by the document (see answerProblems). */
function checkSupertestAnswer(
  doc: OpenApiDocument,
  res: SupertestAnswer,
): ReturnType<typeof answerProblems> {
  const body = bodyOf(res.text, res.headers['content-type']);
  return answerProblems(doc, res.request.method, new URL(res.request.url), res.status, body);
}

/** A supertest answer's problems by the document (see answerProblems). */
export function supertestAnswerProblems(doc: OpenApiDocument, res: SupertestAnswer): string[] {
  return checkSupertestAnswer(doc, res).problems;
}

/**
 * A fetch for the generated client that checks every answer against the document. Whatever
 * breaks it is collected in `problems`, naming the call; `checked` lists the operations seen.
 */
export function conformingFetch(doc: OpenApiDocument): {
  fetch: typeof fetch;
  problems: string[];
  checked: string[];
} {
  const problems: string[] = [];
  const checked: string[] = [];
  const checkingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const text = await res.clone().text();
    const found = answerProblems(
      doc,
      (init?.method ?? 'GET').toUpperCase(),
      url,
      res.status,
      bodyOf(text, res.headers.get('content-type')),
    );
    problems.push(...found.problems);
    if (found.operation) checked.push(found.operation);
    return res;
  };
  return { fetch: checkingFetch, problems, checked };
}

type Agent = ReturnType<typeof import('supertest')>;
const VERBS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/**
 * A supertest agent whose every answer is checked against the document: what breaks it is
 * collected in `record.problems`, naming the call, and each operation seen in `record.checked`.
 */
export function conformingAgent(
  doc: OpenApiDocument,
  agent: Agent,
  record: { problems: string[]; checked: string[] },
): Agent {
  return new Proxy(agent, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !VERBS.has(prop) || typeof value !== 'function') {
        return value;
      }
      return (...args: unknown[]) => {
        const test = (value as (...a: unknown[]) => ReturnType<Agent['get']>).apply(target, args);
        test.on('response', (res: SupertestAnswer) => {
          const found = checkSupertestAnswer(doc, res);
          record.problems.push(...found.problems);
          if (found.operation) record.checked.push(found.operation);
        });
        return test;
      };
    },
  });
}
