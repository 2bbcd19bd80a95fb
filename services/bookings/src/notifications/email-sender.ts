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

/** The login nodemailer uses: the credentials given when they name a user, else the URL's. */
export function smtpAuth(
  smtpUrl: string,
  credentials: SmtpCredentials,
): { auth?: { user: string; pass: string } } {
  if (credentials.user !== undefined) {
    return { auth: { user: credentials.user, pass: credentials.pass ?? '' } };
  }
  const url = new URL(smtpUrl);
  if (!url.username) return {};
  return {
    auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
  };
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
    this.transport = createTransport({
      ...smtpEndpoint(smtpUrl),
      ...smtpAuth(smtpUrl, credentials),
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
