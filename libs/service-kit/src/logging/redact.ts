/** Keys whose values never reach a log line, whatever they hold. */
const SECRET_KEY =
  /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|signature|^email$|^phone$|device[-_]?id|^ip$|ip[-_]?address|^x-forwarded-for$|database[-_]?url/i;

/** Values that look like secrets or personal data, wherever they appear in a string. */
const SECRET_VALUES: Array<[RegExp, string]> = [
  // Credentials inside connection URLs: postgres://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, '$1:[redacted]@'],
  [/\bBearer\s+[\w.~+/-]+=*/gi, 'Bearer [redacted]'],
  // JWTs (header.payload.signature, base64url)
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, '[jwt]'],
  // Stripe keys and webhook secrets
  [/\b(sk|rk)_(live|test)_\w+/g, '[stripe-key]'],
  [/\bwhsec_\w+/g, '[webhook-secret]'],
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]'],
  // IPv4 addresses of clients (loopback is the process's own listen address, kept)
  [/\b(?!127\.0\.0\.1\b)(\d{1,3}\.){3}\d{1,3}\b/g, '[ip]'],
];

export function redactString(text: string): string {
  return SECRET_VALUES.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}

/** A JSON.stringify replacer: drops secret-named fields and masks secret-looking strings. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SECRET_KEY.test(key) && value !== undefined && value !== null) {
    return '[redacted]';
  }
  return typeof value === 'string' ? redactString(value) : value;
}
