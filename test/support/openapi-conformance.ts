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

interface Operation {
  responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
}

/**
 * A fetch for the generated client that checks every answer against the document: a documented
 * status must come with a body of its documented schema. Whatever breaks it is collected in
 * `problems`, naming the call.
 */
export function conformingFetch(doc: OpenApiDocument): {
  fetch: typeof fetch;
  problems: string[];
  checked: string[];
} {
  const problems: string[] = [];
  const checked: string[] = [];
  const operations = Object.entries(doc.paths).flatMap(([template, verbs]) =>
    Object.entries(verbs).map(([verb, op]) => ({
      verb: verb.toUpperCase(),
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
      template,
      op: op as unknown as Operation,
    })),
  );
  const checkingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const found = operations.find((o) => o.verb === method && o.pattern.test(url.pathname));
    const call = `${method} ${url.pathname} -> ${res.status}`;
    if (!found) {
      problems.push(`${call}: no such operation in the document`);
      return res;
    }
    const response = found.op.responses[String(res.status)];
    if (!response) {
      problems.push(`${call}: status not documented for ${method} ${found.template}`);
      return res;
    }
    const schema = response.content?.['application/json'].schema;
    const text = await res.clone().text();
    if (schema) {
      const errors = text === '' ? ['no body'] : schemaErrors(doc, schema, JSON.parse(text));
      problems.push(...errors.map((e) => `${call}: ${e}`));
    }
    checked.push(`${method} ${found.template} ${res.status}`);
    return res;
  };
  return { fetch: checkingFetch, problems, checked };
}
