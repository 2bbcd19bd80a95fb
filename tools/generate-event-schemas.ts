// Writes libs/contracts/event-schemas.snapshot.json, the reviewed shape of every event version
// consumers read (tools/event-schemas.spec.ts compares the contracts with it):
// `npm run generate:event-schemas`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentEventSchemas } from './event-schemas';
import { findRepoRoot } from './local/repo-root';

async function main(): Promise<void> {
  const target = join(findRepoRoot(), 'libs/contracts/event-schemas.snapshot.json');
  // Formatted as the repository's Prettier config says, since format:check covers it.
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(target)) ?? {};
  const json = JSON.stringify(currentEventSchemas());
  writeFileSync(target, await prettier.format(json, { ...config, parser: 'json' }));
  console.log(`wrote ${target}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
