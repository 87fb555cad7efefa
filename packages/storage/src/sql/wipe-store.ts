// Empties a store in place, for the platform's reset: every table but `atoll_migrations` loses its
// rows, so the schema stays at its version and the next open finds a fresh store. Emptying (rather
// than dropping the file or schema) keeps other connections valid: PostgreSQL nodes' prepared
// statements, and SQLite connections a closing provider may still hold.
// Limitation: rows a migration seeds would be lost (no store's migrations seed rows today).
import Database from 'better-sqlite3';
import { isConnectionError, type PostgresCluster } from './postgres-store-database.js';

/** Deletes every row of every table of a SQLite file (one transaction), then gives the space back. */
export function emptySqliteFile(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF');
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'atoll_migrations'`)
      .pluck()
      .all() as string[];
    const hasSequence = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined;
    db.transaction(() => {
      for (const table of tables) db.exec(`DELETE FROM "${table.replace(/"/g, '""')}"`);
      if (hasSequence) db.exec('DELETE FROM sqlite_sequence');
    })();
    try {
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection still reads the file: the space is given back by a later checkpoint.
    }
  } finally {
    db.close();
  }
}

/** Truncates every table of schema `name` (sequences restarted), in one transaction; no schema, nothing to do. */
export async function emptyPostgresSchema(cluster: PostgresCluster, name: string): Promise<void> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return;
  const client = await cluster.acquire(name);
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'atoll_migrations'`,
      [name],
    );
    if (rows.length === 0) return;
    const list = rows.map((r) => `${client.escapeIdentifier(name)}.${client.escapeIdentifier(r.tablename)}`).join(', ');
    await client.query(`TRUNCATE ${list} RESTART IDENTITY CASCADE`);
  } catch (error) {
    throw isConnectionError(error) ? cluster.unavailable(error) : error;
  } finally {
    client.release();
  }
}
