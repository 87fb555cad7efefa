// The account engine processes run as. PostgreSQL refuses to run as root, so when the platform runs
// as root, engines run as the `postgres` / `mysql` system user (or `nobody`) through `setpriv`, and
// their directories are given to that user. Otherwise they run as the platform's own user.
import { chmodSync, chownSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface EngineUser {
  uid: number;
  gid: number;
  /** Prefix for argv (`setpriv …`), empty when no switch is needed. */
  wrap: string[];
}

const cache = new Map<string, EngineUser>();

function lookup(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  } catch {
    // no passwd file
  }
  return undefined;
}

/** The user an engine of this kind runs as (`postgres` or `mysql` when the platform is root). */
export function engineUser(preferred: 'postgres' | 'mysql'): EngineUser {
  const cached = cache.get(preferred);
  if (cached) return cached;
  let user: EngineUser;
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const account = lookup(preferred) ?? lookup('nobody') ?? { uid: 65534, gid: 65534 };
    user = { ...account, wrap: ['setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups'] };
  } else {
    user = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, wrap: [] };
  }
  cache.set(preferred, user);
  return user;
}

/** Gives a directory to the engine user (a no-op when the platform is not root). */
export function giveTo(path: string, user: EngineUser): void {
  if (user.wrap.length === 0) return;
  chownSync(path, user.uid, user.gid);
}

/**
 * Lets the engine user reach `path`: each ancestor owned by the platform that others cannot
 * traverse gets the others' execute bit (not read: nothing becomes listable).
 */
export function makeTraversable(path: string, user: EngineUser): void {
  if (user.wrap.length === 0) return;
  let dir = path;
  for (;;) {
    const stat = statSync(dir);
    if ((stat.mode & 0o001) === 0 && stat.uid === process.getuid?.()) chmodSync(dir, (stat.mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
}
