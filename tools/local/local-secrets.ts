// The per-install secrets file of the embedded platform (.local/secrets.json, mode 0600): DB
// passwords, the JWT key and the like, generated once so restarts keep working with the same data.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Env } from './platform-env';

const FILE_MODE = 0o600;

export function readSecretsFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  // Tighten a file someone loosened (or copied) before reading secrets out of it.
  chmodSync(path, FILE_MODE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${String(err)}); fix or delete it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} must hold a JSON object of strings`);
  }
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`${path}: '${key}' must be a string`);
    secrets[key] = value;
  }
  return secrets;
}

function writeSecretsFile(path: string, secrets: Record<string, string>): void {
  // The directory stays traversable: under root, embedded Postgres runs as the 'postgres' user
  // and keeps its data beside this file. The file's own mode protects the secrets.
  mkdirSync(dirname(path), { recursive: true });
  // Write-then-rename: an interrupted write never leaves a half file that loses every secret.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: FILE_MODE });
  chmodSync(temp, FILE_MODE);
  renameSync(temp, path);
}

// Stripe's SDK and dashboards expect its own prefixes; the rest are bare.
const PREFIXES: Record<string, string> = { STRIPE_WEBHOOK_SECRET: 'whsec_' };

function generateSecret(name: string): string {
  // base64url: safe inside a connection URL and long enough for an HS256 key (>= 32 chars).
  return `${PREFIXES[name] ?? ''}${randomBytes(36).toString('base64url')}`;
}

/** Each named secret from env, else the file, else generated and saved to the file. */
export function loadSecrets(
  path: string,
  names: readonly string[],
  env: Env,
): Record<string, string> {
  const resolved = resolveSecrets(names, env, readSecretsFile(path), generateSecret);
  if (resolved.generated.length > 0) writeSecretsFile(path, resolved.stored);
  return resolved.values;
}

export interface ResolvedSecrets {
  values: Record<string, string>;
  /** The stored secrets plus any newly generated; write back when `generated` is non-empty. */
  stored: Record<string, string>;
  generated: string[];
}

/**
 * Each named secret from the environment if set there, else from the per-install store, else
 * freshly generated (and added to the store). Environment values are never stored.
 */
export function resolveSecrets(
  names: readonly string[],
  env: Env,
  stored: Readonly<Record<string, string>>,
  generate: (name: string) => string,
): ResolvedSecrets {
  const values: Record<string, string> = {};
  const next = { ...stored };
  const generated: string[] = [];
  for (const name of names) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') {
      values[name] = fromEnv;
    } else if (next[name] !== undefined && next[name] !== '') {
      values[name] = next[name];
    } else {
      next[name] = generate(name);
      values[name] = next[name];
      generated.push(name);
    }
  }
  return { values, stored: next, generated };
}
