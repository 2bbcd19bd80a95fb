// Runs the fake Stripe API for the embedded platform (payouts' STRIPE_API_URL points here).
// Env: FAKE_STRIPE_PORT (12111), FAKE_STRIPE_STATE_FILE (keeps accounts, transfers and
// idempotency keys there across restarts; default in memory). Prints one JSON ready line; exits
// on SIGTERM/SIGINT or when its parent goes away.
import { fstatSync } from 'node:fs';
import { FakeStripe } from '../../libs/testing/src/fake-stripe';

async function main(): Promise<void> {
  const raw = process.env.FAKE_STRIPE_PORT ?? '12111';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`FAKE_STRIPE_PORT must be a TCP port, got '${raw}'`);
  }
  const stateFile = process.env.FAKE_STRIPE_STATE_FILE || undefined;
  const stripe = new FakeStripe(undefined, { stateFile });
  const bound = await stripe.start(port);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    stripe.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Must not outlive whoever started it: stdin pipe closes, or we get re-parented.
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) shutdown();
  }, 1000).unref();
  const stdin = fstatSync(0);
  if (stdin.isFIFO() || stdin.isSocket()) {
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${bound}` })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-stripe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
