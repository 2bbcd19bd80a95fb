// Which file of the generated client (libs/api-client) each schema's type goes to, one per area of
// the API and one shared, and the imports of the types one file takes from another.
import type { OpenApiDocument } from '../../services/gateway/src/openapi/openapi-document';

export const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/** The schema names a part of the document refers to, directly. */
export function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (typeof value === 'object' && value !== null) {
    for (const [name, v] of Object.entries(value)) {
      if (name === '$ref' && typeof v === 'string') into.add(refName(v));
      else refsIn(v, into);
    }
  }
  return into;
}

export const SHARED = 'shared';

/**
 * The file of each schema's type: `<area>-types` when only the operations of one area (their tag,
 * the service behind them) reach it, `shared-types` when several do or none.
 */
export function typeFiles(doc: OpenApiDocument): Map<string, string> {
  const { schemas } = doc.components;
  const areas = new Map<string, Set<string>>(Object.keys(schemas).map((n) => [n, new Set()]));
  const reach = (name: string, area: string) => {
    const seen = areas.get(name);
    if (seen === undefined || seen.has(area)) return;
    seen.add(area);
    for (const ref of refsIn(schemas[name])) reach(ref, area);
  };
  for (const verbs of Object.values(doc.paths)) {
    for (const op of Object.values(verbs) as Array<{ tags?: string[] }>) {
      for (const ref of refsIn(op)) reach(ref, op.tags?.[0] ?? SHARED);
    }
  }
  return new Map(
    [...areas].map(([name, seen]) => [name, `${seen.size === 1 ? [...seen][0] : SHARED}-types`]),
  );
}

/** `import type` lines for the names, from the file of each, leaving out `self`'s own. */
export function importsOf(
  names: Iterable<string>,
  files: Map<string, string>,
  self?: string,
): string {
  const byFile = new Map<string, string[]>();
  for (const name of [...new Set(names)].sort()) {
    const file = files.get(name)!;
    if (file !== self) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  }
  return [...byFile]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, list]) => `import type { ${list.join(', ')} } from './${file}';\n`)
    .join('');
}
