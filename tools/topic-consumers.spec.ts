import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_CONSUMERS, TOPIC_PRODUCERS, Topics } from '@rewards/contracts';

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

/** What each service publishes, read from its `outbox.add(tx, Topics.X, ...)` calls. */
function declaredProducers(): Array<[topic: string, service: string]> {
  const root = join(__dirname, '..', 'services');
  const found: Array<[string, string]> = [];
  for (const service of readdirSync(root)) {
    for (const file of sourceFiles(join(root, service, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/outbox\.add\(\s*\w+,\s*Topics\.(\w+)/g)) {
        found.push([Topics[match[1] as keyof typeof Topics], service]);
      }
    }
  }
  return found;
}

describe('TOPIC_PRODUCERS', () => {
  it('names the service of every outbox write of each topic', () => {
    const writes = declaredProducers();
    expect(writes.length).toBeGreaterThan(10);
    for (const [topic, service] of writes) {
      expect({ topic, producer: TOPIC_PRODUCERS[topic as keyof typeof TOPIC_PRODUCERS] }).toEqual({
        topic,
        producer: service,
      });
    }
  });

  it('gives every topic exactly one producer, none of which consumes it', () => {
    expect(Object.keys(TOPIC_PRODUCERS).sort()).toEqual(Object.values(Topics).sort());
    for (const [topic, consumers] of Object.entries(TOPIC_CONSUMERS)) {
      expect(consumers).not.toContain(TOPIC_PRODUCERS[topic as keyof typeof TOPIC_PRODUCERS]);
    }
  });
});

describe('TOPIC_CONSUMERS', () => {
  it('names exactly the services whose @EventPattern consumes each topic', () => {
    const listed = Object.fromEntries(
      Object.entries(TOPIC_CONSUMERS).map(([topic, groups]) => [topic, [...(groups ?? [])].sort()]),
    );
    expect(listed).toEqual(declaredConsumers());
  });
});
