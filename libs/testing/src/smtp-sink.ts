import { mkdir, writeFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body) as it arrived. */
  raw: string;
  receivedAt: Date;
}

/**
 * A local SMTP server that accepts every message (no TLS, no auth) and keeps it: in memory for
 * tests, and as one `.eml` file per message under `dir` when given (the embedded platform's
 * `.local/mail/`). Listens on 127.0.0.1 only.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;
  private port = 0;

  constructor(private readonly dir?: string) {}

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<number> {
    if (this.dir) await mkdir(this.dir, { recursive: true });
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 1024 * 1024,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            receivedAt: new Date(),
          };
          this.received.push(mail);
          this.persist(mail).then(
            () => callback(),
            (err: Error) => callback(err),
          );
        });
      },
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Messages to one address, oldest first. */
  to(address: string): ReceivedMail[] {
    const wanted = address.toLowerCase();
    return this.received.filter((m) => m.to.some((t) => t.toLowerCase() === wanted));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async persist(mail: ReceivedMail): Promise<void> {
    if (!this.dir) return;
    const stamp = mail.receivedAt.toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${mail.to[0]?.replace(/[^A-Za-z0-9@._-]/g, '_') ?? 'unknown'}.eml`;
    await writeFile(join(this.dir, name), mail.raw);
  }
}
