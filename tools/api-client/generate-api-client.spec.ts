import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLIENT_DIR,
  CLIENT_PATH,
  currentDocument,
  generateApiClient,
  SNAPSHOT_PATH,
  typeOf,
} from './generate-api-client';

// Prettier's API imports modules dynamically, which jest's CommonJS runtime cannot: its CLI can.
const prettierCli = (source: string): string => {
  const run = spawnSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', CLIENT_PATH],
    { input: source, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout;
};

// CI gates: the API document and its client change only with a reviewed diff in this commit.
describe(generateApiClient.name, () => {
  it('matches the committed API document (run npm run api:client)', () => {
    const committed: unknown = JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8'));
    expect(currentDocument()).toEqual(committed);
  });

  it('matches the committed client (run npm run api:client)', async () => {
    const files = await generateApiClient(currentDocument(), prettierCli);
    expect(readdirSync(CLIENT_DIR).sort()).toEqual([...files.keys()].sort());
    for (const [file, source] of files) {
      expect(readFileSync(join(CLIENT_DIR, file), 'utf8')).toBe(source);
    }
  });

  it('types schemas: nullable, enums, arrays, maps and references', () => {
    expect(typeOf({ type: ['string', 'null'], format: 'uuid' })).toBe('string | null');
    expect(typeOf({ type: 'string', enum: ['a', 'b'] })).toBe('"a" | "b"');
    expect(typeOf({ type: 'array', items: { $ref: '#/components/schemas/Money' } })).toBe(
      'Array<Money>',
    );
    expect(
      typeOf({
        type: 'object',
        properties: { a: { type: 'integer' }, b: { type: 'boolean' } },
        required: ['a'],
      }),
    ).toBe('{ a: number; b?: boolean; }');
    expect(
      typeOf({ type: 'object', properties: {}, additionalProperties: { type: 'integer' } }),
    ).toBe('Record<string, number>');
    expect(typeOf({ oneOf: [{ type: 'null' }, { type: 'boolean' }] })).toBe('null | boolean');
  });
});
