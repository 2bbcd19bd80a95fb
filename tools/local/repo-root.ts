import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout's root (the directory with nx.json) above `from`; works from dist/ too. */
export function findRepoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root (nx.json) above ${from}`);
  }
}
