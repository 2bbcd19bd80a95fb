/**
 * Loading a service's configuration from its environment, validated at boot: a variable is read
 * from the environment or from the file `<NAME>_FILE` names, and a wrong or missing one fails the
 * boot with every problem named.
 */
import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Thrown at boot when the environment is incomplete or wrong: fail fast, say what is missing. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * `<NAME>_FILE` names a file holding the value (Docker and Kubernetes secrets are mounted as
 * files); one trailing newline is dropped. Read only when `<NAME>` itself is unset.
 */
function fromFile(name: string, path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError([`${name}_FILE (${path}): cannot be read: ${(err as Error).message}`]);
  }
}

/**
 * Validates environment variables into a typed object. Class properties are named after the
 * variables; defaults are property initialisers; transforms turn strings into numbers.
 */
export function loadConfig<T extends object>(
  cls: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  const defaults = new cls() as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key] || fromFile(key, env[`${key}_FILE`]);
    plain[key] = value === undefined || value === '' ? defaults[key] : value;
  }
  const config = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => {
        const value = plain[e.property];
        const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
        return `${e.property} (${shown}): ${Object.values(e.constraints ?? {}).join(', ')}`;
      }),
    );
  }
  return config;
}
