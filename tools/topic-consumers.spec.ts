import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_CONSUMERS, Topics } from '@rewards/contracts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** What each service actually consumes, read from its `@EventPattern(Topics.X)` declarations. */
function declaredConsumers(): Record<string, string[]> {
  const root = join(__dirname, '..', 'services');
  const found: Record<string, string[]> = {};
  for (const service of readdirSync(root)) {
    for (const file of sourceFiles(join(root, service, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/@EventPattern\(Topics\.(\w+)\)/g)) {
        const topic = Topics[match[1] as keyof typeof Topics];
        found[topic] = [...new Set([...(found[topic] ?? []), service])].sort();
      }
    }
  }
  return found;
}

describe('TOPIC_CONSUMERS', () => {
  it('names exactly the services whose @EventPattern consumes each topic', () => {
    const listed = Object.fromEntries(
      Object.entries(TOPIC_CONSUMERS).map(([topic, groups]) => [topic, [...(groups ?? [])].sort()]),
    );
    expect(listed).toEqual(declaredConsumers());
  });
});
