import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const VERIFICATION_CHANNELS = ['email', 'phone'] as const;
export type VerificationChannel = (typeof VERIFICATION_CHANNELS)[number];

const CODE_DIGITS = 6;

/** A uniformly random code of six digits, leading zeros kept. */
export function generateVerificationCode(): string {
  return String(randomInt(10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/**
 * The keyed hash kept instead of the code. The code id is part of the input, so two equal codes
 * never hash alike, and without the pepper a stolen table does not reveal a code.
 */
export function hashVerificationCode(pepper: string, codeId: string, code: string): string {
  return createHmac('sha256', pepper).update(`${codeId}:${code}`).digest('hex');
}

export function codeMatches(pepper: string, codeId: string, code: string, hash: string): boolean {
  const expected = Buffer.from(hashVerificationCode(pepper, codeId, code), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return expected.length === stored.length && timingSafeEqual(expected, stored);
}

export interface SendLimits {
  sendsPerHour: number;
  cooldownMs: number;
}

/**
 * How long the user must wait before another code may be sent, in ms; 0 when one may go now.
 * `recent` are the send times of the last hour, newest first.
 */
export function sendWaitMs(recent: readonly Date[], now: Date, limits: SendLimits): number {
  const hour = 3600_000;
  const inWindow = recent.filter((at) => now.getTime() - at.getTime() < hour);
  let wait = 0;
  if (inWindow.length > 0) {
    wait = Math.max(wait, inWindow[0].getTime() + limits.cooldownMs - now.getTime());
  }
  if (inWindow.length >= limits.sendsPerHour) {
    const oldestCounted = inWindow[limits.sendsPerHour - 1];
    wait = Math.max(wait, oldestCounted.getTime() + hour - now.getTime());
  }
  return Math.max(0, wait);
}
