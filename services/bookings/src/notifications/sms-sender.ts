import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SmsMessage {
  /** E.164, e.g. +14155550123. */
  to: string;
  text: string;
}

/** Sends one text message; a provider's implementation replaces the local one. */
export abstract class SmsSender {
  abstract send(message: SmsMessage): Promise<void>;
}

/**
 * The local SMS "provider": appends each message as one JSON line to a file, which tests and
 * people running the platform read (README: .local/sms/messages.jsonl).
 */
export class FileSmsSender extends SmsSender {
  constructor(
    private readonly file: string,
    private readonly now: () => Date,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const line = JSON.stringify({ ...message, sentAt: this.now().toISOString() });
    await appendFile(this.file, `${line}\n`);
  }
}
