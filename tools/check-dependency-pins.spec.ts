import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Exact pins: what a package.json names is what installs, and the lockfile agrees with it.

const repoRoot = join(__dirname, '..');
const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const;
/** One exact version: no range, tag, URL, path or wildcard. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

type Manifest = Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>>;

/** `<field> <name>@<spec>` for every dependency of a manifest that is not pinned exactly. */
function unpinned(manifest: Manifest): string[] {
  return DEPENDENCY_FIELDS.flatMap((field) =>
    Object.entries(manifest[field] ?? {})
      .filter(([, spec]) => !EXACT.test(spec))
      .map(([name, spec]) => `${field} ${name}@${spec}`),
  );
}

const manifests = execFileSync('git', ['ls-files', '--', 'package.json', '*/package.json'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const read = (path: string): Manifest =>
  JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as Manifest;

describe('dependency pins', () => {
  it('finds every package.json of the repository', () => {
    expect(manifests).toEqual(
      expect.arrayContaining(['package.json', 'libs/contracts/package.json']),
    );
  });

  it.each(manifests)('pins every dependency of %s to one exact version', (path) => {
    expect(unpinned(read(path))).toEqual([]);
  });

  it('installs from the lockfile exactly the version each root dependency pins', () => {
    const root = read('package.json');
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const drift = DEPENDENCY_FIELDS.flatMap((field) =>
      Object.entries(root[field] ?? {})
        .filter(([name, pin]) => lock.packages[`node_modules/${name}`]?.version !== pin)
        .map(([name, pin]) => {
          const locked = lock.packages[`node_modules/${name}`]?.version ?? 'nothing';
          return `${name}: pinned ${pin}, locked ${locked}`;
        }),
    );
    expect(drift).toEqual([]);
  });

  it('refuses ranges, tags, wildcards and URLs', () => {
    expect(
      unpinned({
        dependencies: { a: '^1.2.3', b: '~1.2.3', c: '1.2.3', d: '1.x', e: 'latest' },
        devDependencies: { f: '>=1.0.0', g: '*', h: '17.10.0-beta.17', i: 'github:o/r' },
        peerDependencies: { j: '1.2.3 || 2.0.0' },
      }),
    ).toEqual([
      'dependencies a@^1.2.3',
      'dependencies b@~1.2.3',
      'dependencies d@1.x',
      'dependencies e@latest',
      'devDependencies f@>=1.0.0',
      'devDependencies g@*',
      'devDependencies i@github:o/r',
      'peerDependencies j@1.2.3 || 2.0.0',
    ]);
  });
});
