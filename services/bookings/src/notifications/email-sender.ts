import { createTransport, Transporter } from 'nodemailer';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends one email. Verification codes use it today; any other notification of bookings (credit
 * expiry reminders, receipts) should go through it too, so the transport is configured once.
 */
export abstract class EmailSender {
  abstract send(message: EmailMessage): Promise<void>;
}

/** The server an SMTP_URL names: where bookings' email leaves (and its NetworkPolicy lets it). */
export interface SmtpEndpoint {
  host: string;
  port: number;
  /** Implicit TLS (smtps://); otherwise STARTTLS when the server offers it. */
  secure: boolean;
}

export function smtpEndpoint(smtpUrl: string): SmtpEndpoint {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return { host: url.hostname, port: Number(url.port || (secure ? 465 : 587)), secure };
}

/** Login to the server: SMTP_USERNAME / SMTP_PASSWORD when set, else the URL's user:pass. */
export interface SmtpCredentials {
  user?: string;
  pass?: string;
}

/** Email over SMTP to the server SMTP_URL names (the embedded platform runs a local sink). */
export class SmtpEmailSender extends EmailSender {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    credentials: SmtpCredentials = {},
  ) {
    super();
    const url = new URL(smtpUrl);
    const user = credentials.user ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const pass =
      credentials.user !== undefined ? credentials.pass : decodeURIComponent(url.password);
    this.transport = createTransport({
      ...smtpEndpoint(smtpUrl),
      ...(user ? { auth: { user, pass: pass ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(message: EmailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }

  close(): void {
    this.transport.close();
  }
}
