import {
  ATTRIBUTION_COOKIE,
  attributionHash,
  DEVICE_COOKIE,
  readClickToken,
} from '@rewards/contracts';
import { isPublicClientAddress } from '@rewards/service-kit';
import type { IncomingHttpHeaders } from 'node:http';

const DEVICE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a signup request tells about where the user came from: hashes, never raw values. */
export interface SignupSignals {
  clickId?: string;
  /** The click's code and time, when the cookie is a signed click token that verifies. */
  clickCode?: string;
  clickedAt?: string;
  deviceHash?: string;
  ipHash?: string;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The share-link click (attribution cookie set by `GET /r/{slug}`: a click token a wrong MAC
 * makes worthless), the device (X-Device-Id or the device cookie) and the client address the
 * gateway forwarded, all read from the request's headers.
 */
export function signupSignals(headers: IncomingHttpHeaders, pepper: string): SignupSignals {
  const signals: SignupSignals = {};
  const attribution = cookie(headers.cookie, ATTRIBUTION_COOKIE);
  const click = attribution === undefined ? undefined : readClickToken(pepper, attribution);
  if (click) {
    signals.clickId = click.clickId;
    signals.clickCode = click.code;
    signals.clickedAt = click.clickedAt.toISOString();
  } else if (attribution !== undefined && UUID.test(attribution)) {
    // A cookie set before click tokens: only the click id, which counts once the click is written.
    signals.clickId = attribution.toLowerCase();
  }
  const header = headers['x-device-id'];
  const device =
    typeof header === 'string' && DEVICE_ID.test(header)
      ? header
      : cookie(headers.cookie, DEVICE_COOKIE);
  if (device !== undefined && DEVICE_ID.test(device)) {
    signals.deviceHash = attributionHash(pepper, 'device', device);
  }
  const forwarded = headers['x-forwarded-for'];
  const ip = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  // Loopback and private addresses are a proxy's or this machine's: no household signal.
  if (isPublicClientAddress(ip)) signals.ipHash = attributionHash(pepper, 'ip', ip);
  return signals;
}
