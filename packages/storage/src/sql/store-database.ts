// Helpers of the store contract (the types are in @atoll/core's storage.ts).
import type { SqlDialect, SqlExecutor, StoreMigration } from '@atoll/core';

/** Whether an error is a violated unique or primary-key constraint, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The migration SQL for one engine. */
export function migrationSql(migration: StoreMigration, dialect: SqlDialect['name']): string | ((tx: SqlExecutor) => Promise<void>) {
  const up = migration.up;
  if (typeof up === 'string' || typeof up === 'function') return up;
  return up[dialect];
}

/** Checks versions are unique and returns the migrations in order. */
export function orderedMigrations(migrations: readonly StoreMigration[]): StoreMigration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`two migrations have version ${sorted[i]!.version}`);
  }
  return sorted;
}

/** `postgres://user:***@host:port/db`: a URL fit for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
}
