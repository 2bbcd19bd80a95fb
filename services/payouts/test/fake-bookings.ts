import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Stand-in for the one bookings route payouts calls: `GET /internal/accounts/:id/payout-destination`,
 * answering like bookings does (404 unknown user, 422 no connected account, 200 with the account).
 */
export class FakeBookings {
  private server?: Server;
  private readonly accounts = new Map<string, string | null>();
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const id = /^\/internal\/accounts\/([^/]+)\/payout-destination$/.exec(req.url ?? '')?.[1];
      const account = id === undefined ? undefined : this.accounts.get(id);
      const [status, body] =
        id === undefined || account === undefined
          ? [404, { error: { code: 'ACCOUNT_NOT_FOUND', message: 'no account' } }]
          : account === null
            ? [422, { error: { code: 'PAYOUT_ACCOUNT_REQUIRED', message: 'no payout account' } }]
            : [200, { userId: id, stripeAccountId: account }];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Registers a user; `null` means they have not connected a Stripe account yet. */
  setAccount(userId: string, stripeAccountId: string | null): void {
    this.accounts.set(userId, stripeAccountId);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
