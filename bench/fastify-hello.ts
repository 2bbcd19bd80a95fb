// The benchmarks' baseline (issues 6 and 9): a bare Fastify answering every GET with `hello`, in
// its own process, on the same machine and in the same run as what is measured against it.
//
//   node dist/bench/fastify-hello.js [port]   (0 or none: any free port; prints the port it got)
import { fastify } from 'fastify';
import type { AddressInfo } from 'node:net';

async function main(): Promise<void> {
  const app = fastify({ logger: false });
  app.get('/*', (_request, reply) => {
    void reply.type('text/plain').send('hello');
  });
  await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
  console.log((app.server.address() as AddressInfo).port);
  process.once('SIGTERM', () => void app.close());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
