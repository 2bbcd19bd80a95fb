// Generates the typed TypeScript client of the gateway's API (libs/api-client) from its
// OpenAPI 3.1 document: the one the gateway serves at /openapi.json (pass its URL), or by default
// the one built from the route table, as the gateway builds it.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  buildOpenApiDocument,
  type OpenApiDocument,
} from '../../services/gateway/src/openapi/openapi-document';
import type { JsonSchema } from '../../services/gateway/src/openapi/json-schema';
import { GATEWAY_ROUTES } from '../../services/gateway/src/proxy/routes';
import { importsOf, refName, refsIn, SHARED, typeFiles } from './client-type-files';

/** The checkout's root, from the source or from dist/. */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${__dirname}`);
  }
}

export const CLIENT_DIR = join(repoRoot(), 'libs/api-client/src');
export const CLIENT_PATH = join(CLIENT_DIR, 'rewards-api.ts');
/** The committed API document: CI compares the route table's document with it. */
export const SNAPSHOT_PATH = join(repoRoot(), 'services/gateway/openapi.snapshot.json');

const literal = (value: unknown) => JSON.stringify(value);
const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name));

/** The TypeScript type of a schema of the subset the document uses. */
export function typeOf(schema: JsonSchema): string {
  if ('$ref' in schema) return refName(schema.$ref);
  if ('oneOf' in schema) return schema.oneOf.map(typeOf).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const nullable = types.includes('null') && types.length > 1 ? ' | null' : '';
  switch (types[0]) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return `number${nullable}`;
    case 'string': {
      const s = schema as { enum?: readonly (string | null)[] };
      const base = s.enum ? s.enum.map(literal).join(' | ') : 'string';
      return `${base}${nullable}`;
    }
    case 'array':
      return `Array<${typeOf((schema as { items: JsonSchema }).items)}>`;
    case 'object': {
      const o = schema as {
        properties: Record<string, JsonSchema>;
        required?: readonly string[];
        additionalProperties?: false | JsonSchema;
      };
      const props = Object.entries(o.properties ?? {});
      if (props.length === 0) {
        return o.additionalProperties
          ? `Record<string, ${typeOf(o.additionalProperties)}>`
          : 'Record<string, unknown>';
      }
      const required = new Set(o.required ?? []);
      return `{ ${props.map(([name, s]) => `${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(s)};`).join(' ')} }`;
    }
    default:
      return 'unknown';
  }
}

interface Op {
  operationId: string;
  summary: string;
  security: unknown[];
  parameters?: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }>;
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
}

/** A redirect (a share link) is for a browser to open, not an API call: no client method. */
const isBrowserNavigation = (op: Op) =>
  Object.keys(op.responses).some((status) => /^3\d\d$/.test(status));

function method(path: string, verb: string, op: Op): string {
  const [status, success] = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
  const answer = success.content ? typeOf(success.content['application/json'].schema) : 'void';
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
  const args: string[] = [];
  if (pathParams.length > 0) {
    args.push(`params: { ${pathParams.map((p) => `${key(p.name)}: string;`).join(' ')} }`);
  }
  if (op.requestBody) {
    args.push(
      `body${op.requestBody.required ? '' : '?'}: ${typeOf(op.requestBody.content['application/json'].schema)}`,
    );
  }
  if (queryParams.length > 0) {
    args.push(
      `query: { ${queryParams.map((p) => `${key(p.name)}?: ${typeOf(p.schema)};`).join(' ')} } = {}`,
    );
  }
  const url = path.replace(
    /\{(\w+)\}/g,
    (_m, name: string) => `\${encodeURIComponent(params.${name})}`,
  );
  return `
  /** ${op.summary} (${verb.toUpperCase()} ${path}${op.security.length === 0 ? ', public' : ''}) */
  ${op.operationId}(${args.join(', ')}): Promise<${answer}> {
    return this.call<${answer}>('${verb.toUpperCase()}', \`${url}\`, ${status}, {${op.requestBody ? ' body,' : ''}${queryParams.length > 0 ? ' query,' : ''} });
  }`;
}

/** Formats the source as the repository's Prettier config says (it runs in CI). */
export type Formatter = (source: string) => Promise<string> | string;

const prettierFormat: Formatter = async (source) => {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(CLIENT_PATH)) ?? {};
  return prettier.format(source, { ...config, parser: 'typescript' });
};

const TRANSPORT = 'api-transport';

const transport = (files: Map<string, string>) => `${importsOf(['ApiError'], files)}
/** A refusal of the API: its status and the platform's error body. */
export class RewardsApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(\`\${status} \${body.error.code}: \${body.error.message}\`);
    this.name = 'RewardsApiError';
  }
}

export interface RewardsApiOptions {
  baseUrl: string;
  /** Bearer token of the signed-in user. */
  token?: string;
  fetch?: typeof fetch;
}

/** Sends one operation: answers its body on the expected status, throws RewardsApiError else. */
export abstract class ApiTransport {
  constructor(protected readonly options: RewardsApiOptions) {}

  protected async call<T>(
    method: string,
    path: string,
    expected: number,
    init: { body?: unknown; query?: Record<string, string | number | undefined> },
  ): Promise<T> {
    const url = new URL(path, this.options.baseUrl);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = \`Bearer \${this.options.token}\`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await (this.options.fetch ?? fetch)(url, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (res.status !== expected) {
      throw new RewardsApiError(res.status, parsed as ApiError);
    }
    return parsed as T;
  }
}
`;

/** The client's files, by name in libs/api-client/src: the client, its transport, its types. */
export async function generateApiClient(
  doc: OpenApiDocument,
  formatSource: Formatter = prettierFormat,
): Promise<Map<string, string>> {
  const files = typeFiles(doc);
  const typeFileNames = [...new Set([`${SHARED}-types`, ...files.values()])];
  const types = typeFileNames.map((file) => {
    const names = [...files].filter(([, f]) => f === file).map(([name]) => name);
    const schemas = names.map((name) => doc.components.schemas[name]);
    const area = file.replace(/-types$/, '');
    const what =
      area === SHARED
        ? 'The types that operations of several areas of the API share.'
        : `The types of the operations the gateway sends to ${area}.`;
    const body = names.map((name, i) => `export type ${name} = ${typeOf(schemas[i])};`);
    return [file, `${what}\n${importsOf(refsIn(schemas), files, file)}\n${body.join('\n\n')}\n`];
  });
  const ops = Object.entries(doc.paths).flatMap(([path, verbs]) =>
    Object.entries(verbs)
      .filter(([, op]) => !isBrowserNavigation(op as unknown as Op))
      .map(([verb, op]) => ({ path, verb, op: op as unknown as Op })),
  );
  const used = refsIn(
    ops.map(({ op }) => [
      Object.entries(op.responses).find(([s]) => s.startsWith('2'))![1],
      op.requestBody,
      op.parameters,
    ]),
  );
  const client = `The client: every operation of the API, and the types they take and answer.
${importsOf(used, files)}import { ApiTransport } from './${TRANSPORT}';

${typeFileNames.map((file) => `export * from './${file}';`).join('\n')}
export { RewardsApiError, type RewardsApiOptions } from './${TRANSPORT}';

/** Every operation of the API, typed from its document. */
export class RewardsApi extends ApiTransport {
  /** The same client, signed in as the token's user. */
  withToken(token: string): RewardsApi {
    return new RewardsApi({ ...this.options, token });
  }
${ops.map(({ path, verb, op }) => method(path, verb, op)).join('\n')}
}
`;
  const header = `// GENERATED by tools/api-client/generate-api-client.ts from the gateway's OpenAPI document
// (${doc.info.title}, version ${doc.info.version}). Do not edit: run \`npm run api:client\`.
// `;
  const sources: Array<[string, string]> = [
    ['rewards-api', client],
    [TRANSPORT, `How the client sends an operation.\n${transport(files)}`],
    ...(types as Array<[string, string]>),
  ];
  const out = new Map<string, string>();
  for (const [file, source] of sources) {
    out.set(`${file}.ts`, await formatSource(header + source));
  }
  return out;
}

export function currentDocument(): OpenApiDocument {
  return buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });
}

/** The document as committed: Prettier-formatted JSON. */
async function snapshotOf(doc: OpenApiDocument): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(SNAPSHOT_PATH)) ?? {};
  return prettier.format(JSON.stringify(doc), { ...config, parser: 'json' });
}

/**
 * Without an argument: the document of the route table, written to the snapshot and the
 * client. With a served document's URL: the client of that document only.
 */
async function main(): Promise<void> {
  const url = process.argv[2];
  const doc = url ? ((await (await fetch(url)).json()) as OpenApiDocument) : currentDocument();
  if (!url) {
    writeFileSync(SNAPSHOT_PATH, await snapshotOf(doc));
    console.log(`wrote ${SNAPSHOT_PATH}`);
  }
  for (const [file, source] of await generateApiClient(doc)) {
    writeFileSync(join(CLIENT_DIR, file), source);
    console.log(`wrote ${join(CLIENT_DIR, file)}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
