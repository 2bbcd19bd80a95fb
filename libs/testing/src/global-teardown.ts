export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__TEST_INFRA__ ?? [];
  for (const handle of started.reverse()) await handle.stop();
}
