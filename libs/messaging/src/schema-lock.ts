import { EntityManager } from 'typeorm';

/**
 * Takes the lock `name` for the rest of `tx` unless another transaction holds it (then false,
 * at once). The lock is a row of `schema_locks` (MESSAGING_TABLES_V3) in the service's own
 * schema: unlike an advisory lock, no other service's role can take or hold it.
 */
export async function tryTakeSchemaLock(tx: EntityManager, name: string): Promise<boolean> {
  const held = await tx.query<unknown[]>(
    'SELECT name FROM schema_locks WHERE name = $1 FOR UPDATE SKIP LOCKED',
    [name],
  );
  if (held.length > 0) return true;
  // Absent, or locked by another transaction: the insert creates it locked, or conflicts.
  const created = await tx.query<unknown[]>(
    'INSERT INTO schema_locks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING name',
    [name],
  );
  return created.length > 0;
}

/**
 * Takes the lock `name` for the rest of `tx`, waiting while another transaction holds it (up to
 * the session's lock_timeout). A row of `schema_locks`, like tryTakeSchemaLock: only this
 * service's roles can reach it.
 */
export async function takeSchemaLock(tx: EntityManager, name: string): Promise<void> {
  await tx.query('INSERT INTO schema_locks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
    name,
  ]);
  await tx.query('SELECT name FROM schema_locks WHERE name = $1 FOR UPDATE', [name]);
}
