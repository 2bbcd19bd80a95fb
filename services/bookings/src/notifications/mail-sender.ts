/** One plain-text email. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends email; the reminder job depends on this, not on SMTP, so tests and transports swap. */
export abstract class MailSender {
  abstract send(message: MailMessage): Promise<void>;
}
