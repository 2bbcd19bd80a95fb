// Stripe's wire format for the fake: form-encoded parameters with bracketed keys
// (`metadata[payout_id]=po_1`, `expand[]=x`) in POST bodies and GET query strings alike, the
// `{ error: { type, code, param, message } }` envelope, and API-key authentication.
import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { StripeErrorBody } from './fake-stripe.types';

const MAX_BODY_BYTES = 1_000_000;

type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export function parseStripeForm(encoded: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const path = keyPath(rawKey);
    // A `__proto__` segment would write into Object.prototype.
    if (path === undefined || path.includes('__proto__')) continue;
    let node: FormObject = root;
    for (let i = 0; i < path.length - 1; i += 1) {
      const next = Object.hasOwn(node, path[i]) ? node[path[i]] : undefined;
      if (typeof next === 'object') {
        node = next;
      } else {
        const child: FormObject = {};
        node[path[i]] = child;
        node = child;
      }
    }
    const leaf = path[path.length - 1];
    // `list[]` appends: stored under the next numeric index.
    node[leaf === '' ? String(Object.keys(node).length) : leaf] = value;
  }
  return root;
}

function keyPath(rawKey: string): string[] | undefined {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
  if (match === null) return undefined;
  const nested = [...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]);
  return [match[1], ...nested];
}

/** Order-insensitive fingerprint of a request's parameters, for idempotency comparison. */
export function formFingerprint(method: string, path: string, encoded: string): string {
  const pairs = [...new URLSearchParams(encoded)].sort(([ak, av], [bk, bv]) =>
    ak === bk ? av.localeCompare(bv) : ak.localeCompare(bk),
  );
  return JSON.stringify([method, path, pairs]);
}

export function stringParam(form: FormObject, key: string): string | undefined {
  const value = form[key];
  return typeof value === 'string' ? value : undefined;
}

/** Metadata as Stripe stores it: string values only; an empty value unsets the key. */
export function metadataParam(form: FormObject): Record<string, string> | undefined | 'invalid' {
  const value = form.metadata;
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return 'invalid';
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') return 'invalid';
    if (entry !== '') metadata[key] = entry;
  }
  return metadata;
}

/** A positive integer amount of minor units, as Stripe reads `amount`, or its refusal. */
export function positiveAmount(text: string, param = 'amount'): number | Reply {
  const amount = Number(text);
  return /^\d+$/.test(text) && amount >= 1
    ? amount
    : invalidParam(param, 'Invalid positive integer');
}

/** What a request that moves money carries: `amount`, `currency` and optional `metadata`. */
export interface MoneyParams {
  amount: number;
  /** Lower-cased, as Stripe returns it. */
  currency: string;
  metadata: Record<string, string>;
}

/**
 * Reads and checks the money parameters of a transfer or payment intent, in Stripe's order:
 * what is missing first, then what is malformed.
 */
export function moneyParams(form: FormObject): MoneyParams | { refused: Reply } {
  const amountText = stringParam(form, 'amount');
  const currency = stringParam(form, 'currency');
  if (amountText === undefined) return { refused: missingParam('amount') };
  if (currency === undefined) return { refused: missingParam('currency') };
  const amount = positiveAmount(amountText);
  if (typeof amount !== 'number') return { refused: amount };
  if (!/^[a-zA-Z]{3}$/.test(currency)) {
    return { refused: invalidParam('currency', `Invalid currency: ${currency}.`) };
  }
  const metadata = metadataParam(form);
  if (metadata === 'invalid') return { refused: invalidParam('metadata', 'Invalid metadata.') };
  return { amount, currency: currency.toLowerCase(), metadata: metadata ?? {} };
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Stripe saves no idempotent result for requests that never executed. */
  notExecuted?: boolean;
  /** The request was carried out with this result, though the client is answered otherwise. */
  executedAs?: Reply;
  /** Hold the answer back this long. */
  delayMs?: number;
}

export interface StoredReply extends Reply {
  fingerprint: string;
}

export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, '0')}`;
}

export function error(status: number, body: StripeErrorBody): Reply {
  return { status, body: { error: body } };
}

export function missingParam(param: string): Reply {
  const message = `Missing required param: ${param}.`;
  const body = { type: 'invalid_request_error', code: 'parameter_missing', param, message };
  return { ...error(400, body), notExecuted: true };
}

export function invalidParam(param: string, message: string): Reply {
  const body = { type: 'invalid_request_error', code: 'parameter_invalid', param, message };
  return { ...error(400, body), notExecuted: true };
}

function noSuch(kind: string, id: string): Reply {
  return error(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: 'id',
    message: `No such ${kind}: '${id}'`,
  });
}

/** A parameter naming an object that does not exist (`destination`, `payment_method`, ...). */
export function noSuchParam(param: string, kind: string, id: string): Reply {
  return error(400, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${kind}: '${id}'`,
  });
}

/** The object a GET names, or Stripe's 404 for it. */
export function found(resource: object | undefined, kind: string, id: string): Reply {
  return resource ? { status: 200, body: resource } : noSuch(kind, id);
}

/** Stripe's `created`: whole seconds since the epoch. */
export function unixSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

// Stripe takes the key as a Bearer token (the SDK) or as the Basic user name (curl -u sk_...:).
export function apiKeyOf(authorization: string | undefined): string | undefined {
  const [scheme, credentials] = (authorization ?? '').trim().split(/\s+/);
  if (credentials === undefined) return undefined;
  if (/^bearer$/i.test(scheme)) return credentials;
  if (!/^basic$/i.test(scheme)) return undefined;
  const user = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0];
  return user === '' ? undefined : user;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('Request body too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
