import { DataSource, EntityManager } from 'typeorm';

/** Lock names whose row is known to be committed, per DataSource (one schema each). */
const committedRows = new WeakMap<DataSource, Set<string>>();

/**
 * Makes sure the row of lock `name` exists and is committed, in a statement of its own outside
 * any transaction. A row still being inserted by another transaction would make a contender's
 * insert wait for that whole transaction instead of skipping it: only a committed row lets
 * `FOR UPDATE SKIP LOCKED` answer at once. Remembered per DataSource, so a lock costs one extra
 * statement per process and name.
 */
export async function ensureSchemaLockRow(dataSource: DataSource, name: string): Promise<void> {
  let known = committedRows.get(dataSource);
  if (known?.has(name)) return;
  await dataSource.query(
    'INSERT INTO schema_locks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING',
    [name],
  );
  if (!known) {
    known = new Set();
    committedRows.set(dataSource, known);
  }
  known.add(name);
}

/**
 * Takes the lock `name` for the rest of `tx` unless another transaction holds it (then false,
 * at once, even the first time the name is used). The lock is a row of `schema_locks`
 * (MESSAGING_TABLES_V3) in the service's own schema: unlike an advisory lock, no other service's
 * role can take or hold it. The row's first insert commits on a pooled connection of its own
 * (ensureSchemaLockRow); callers that hold few connections may call that before opening `tx`.
 */
export async function tryTakeSchemaLock(tx: EntityManager, name: string): Promise<boolean> {
  await ensureSchemaLockRow(tx.connection, name);
  const held = await tx.query<unknown[]>(tryTakeSchemaLockSql('$1'), [name]);
  if (held.length > 0) return true;
  await schemaLockSkipped(tx, name);
  return false;
}

/**
 * The query tryTakeSchemaLock runs, for a statement that takes the lock in a CTE of its own
 * (`name` is the parameter holding the lock's name): one row when taken, none when skipped.
 * After a skip, call schemaLockSkipped. The lock row must be committed first
 * (ensureSchemaLockRow).
 */
export function tryTakeSchemaLockSql(name: string): string {
  return `SELECT name FROM schema_locks WHERE name = ${name} FOR UPDATE SKIP LOCKED`;
}

/**
 * After tryTakeSchemaLockSql skipped: held by another transaction, or the row is gone since it
 * was remembered (then the next try inserts it again).
 */
export async function schemaLockSkipped(tx: EntityManager, name: string): Promise<void> {
  const present = await tx.query<unknown[]>('SELECT name FROM schema_locks WHERE name = $1', [
    name,
  ]);
  if (present.length === 0) committedRows.get(tx.connection)?.delete(name);
}

/**
 * Takes the lock `name` for the rest of `tx`, waiting while another transaction holds it (up to
 * the session's lock_timeout). A row of `schema_locks`, like tryTakeSchemaLock: only this
 * service's roles can reach it.
 */
export async function takeSchemaLock(tx: EntityManager, name: string): Promise<void> {
  // Waiting is the point here, so the row may be inserted inside `tx`.
  await tx.query('INSERT INTO schema_locks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
    name,
  ]);
  await tx.query('SELECT name FROM schema_locks WHERE name = $1 FOR UPDATE', [name]);
}
