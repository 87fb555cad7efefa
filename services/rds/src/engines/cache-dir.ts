// Where engine templates are cached across data directories (making one takes seconds: initdb,
// mariadb-install-db, PGlite's own initdb): `ATOLL_CACHE_DIR`, else /var/tmp/atoll-cache-<uid> when
// running as root (engine users must reach it; root's home is private), else ~/.cache/atoll.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  if (process.env.ATOLL_CACHE_DIR) return process.env.ATOLL_CACHE_DIR;
  if (process.getuid?.() === 0) return '/var/tmp/atoll-cache-0';
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'atoll');
}
