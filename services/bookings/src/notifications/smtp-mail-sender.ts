import { Inject, Injectable } from '@nestjs/common';
import { connect, Socket } from 'node:net';
import { BookingsConfig } from '../config/bookings.config';
import { MailMessage, MailSender } from './mail-sender';

/** Refuses header injection: an address or subject never spans lines. */
function oneLine(value: string, what: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${what} must be a single line`);
  return value;
}

/** The DATA section: CRLF line ends, a leading dot doubled (RFC 5321 4.5.2), ended by a dot. */
export function smtpData(from: string, message: MailMessage, date: Date): string {
  const headers = [
    `From: ${oneLine(from, 'from')}`,
    `To: ${oneLine(message.to, 'to')}`,
    `Subject: ${oneLine(message.subject, 'subject')}`,
    `Date: ${date.toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = message.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n.\r\n`;
}

/** Reads SMTP replies (multi-line ones end with "NNN "), one per expect() call. */
class SmtpConversation {
  private buffer = '';
  private waiting?: { code: number; resolve: () => void; reject: (err: Error) => void };
  private failure?: Error;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.pump();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('SMTP server closed the connection')));
  }

  expect(code: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { code, resolve, reject };
      this.pump();
    });
  }

  async command(line: string, code: number): Promise<void> {
    this.socket.write(line);
    await this.expect(code);
  }

  private pump(): void {
    if (!this.waiting) return;
    const lines = this.buffer.split('\r\n');
    const last = lines.findIndex((l) => /^\d{3} /.test(l) || /^\d{3}$/.test(l));
    if (last === -1) return;
    this.buffer = lines.slice(last + 1).join('\r\n');
    const { code, resolve, reject } = this.waiting;
    this.waiting = undefined;
    const got = Number(lines[last].slice(0, 3));
    if (got === code) resolve();
    else reject(new Error(`SMTP answered "${lines[last]}" where ${code} was expected`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }
}

/**
 * Plain SMTP to the relay in configuration (SMTP_HOST:SMTP_PORT), one connection per message:
 * what a local relay or the platform's own server takes. No TLS or auth: use a relay on the
 * same network for those.
 */
@Injectable()
export class SmtpMailSender extends MailSender {
  constructor(@Inject(BookingsConfig) private readonly config: BookingsConfig) {
    super();
  }

  async send(message: MailMessage): Promise<void> {
    const socket = connect({ host: this.config.SMTP_HOST, port: this.config.SMTP_PORT });
    socket.setTimeout(this.config.SMTP_TIMEOUT_MS, () =>
      socket.destroy(new Error(`SMTP timed out after ${this.config.SMTP_TIMEOUT_MS} ms`)),
    );
    const smtp = new SmtpConversation(socket);
    try {
      await smtp.expect(220);
      await smtp.command('EHLO bookings\r\n', 250);
      await smtp.command(`MAIL FROM:<${oneLine(this.config.SMTP_FROM, 'from')}>\r\n`, 250);
      await smtp.command(`RCPT TO:<${oneLine(message.to, 'to')}>\r\n`, 250);
      await smtp.command('DATA\r\n', 354);
      await smtp.command(smtpData(this.config.SMTP_FROM, message, new Date()), 250);
      socket.write('QUIT\r\n');
    } finally {
      socket.end();
    }
  }
}
