// Snapshots of an embedded (SQLite) platform's data directory, and the lock file that says a platform
// is using one. `saveSnapshot` may run while the platform serves: each SQLite file is copied with
// SQLite's online backup API (a consistent image of that store), then the other files (blobs, keys)
// are hard-linked (copied across file systems) into a staging directory, which becomes one gzipped tar.
// `loadSnapshot` replaces a data directory no platform is using by the snapshot's content.
// Known limitations: stores are copied one after another, not at one instant (an object deleted
// during the save may leave its row without its blob, one created during it may be missing);
// PostgreSQL-backed platforms and blobs outside the data directory are refused (use pg_dump and copy
// the blob directory).
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { AtollError } from '@atoll/core';

const LOCK_FILE = 'atoll.lock';
const MANIFEST = 'atoll-snapshot.json';
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

export interface DataDirUser {
  pid: number;
  endpoint?: string;
  startedAt: string;
}

/** Marks `dataDir` in use by this process until `release` (which removes the mark only if it is still this one's). */
export function claimDataDir(dataDir: string, info: { endpoint?: string } = {}): { release(): void } {
  const token = randomUUID();
  const path = join(dataDir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ pid: process.pid, endpoint: info.endpoint, startedAt: new Date().toISOString(), token }));
  return {
    release() {
      try {
        if ((JSON.parse(readFileSync(path, 'utf8')) as { token?: string }).token === token) rmSync(path, { force: true });
      } catch {
        // Gone already.
      }
    },
  };
}

/** The running process using `dataDir`, if any (a lock left by a process that has died does not count). */
export function dataDirUser(dataDir: string): DataDirUser | undefined {
  let lock: DataDirUser;
  try {
    lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as DataDirUser;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(lock.pid)) return undefined;
  try {
    process.kill(lock.pid, 0);
    return lock;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? lock : undefined;
  }
}

export interface SnapshotSource {
  dataDir: string;
  databaseUrl?: string;
  blobDir?: string;
  blobUrl?: string;
}

/** Throws SNAPSHOT_NOT_SUPPORTED, with what to do instead, for state kept outside the data directory. */
export function assertSnapshotSupported(source: SnapshotSource): void {
  if (source.databaseUrl) {
    throw new AtollError(
      'SNAPSHOT_NOT_SUPPORTED',
      'snapshots of a platform whose state is in PostgreSQL (ATOLL_DATABASE_URL) are not supported: use pg_dump and pg_restore, and copy the blob directory',
    );
  }
  if (source.blobUrl || (source.blobDir && resolve(source.blobDir) !== resolve(source.dataDir))) {
    throw new AtollError('SNAPSHOT_NOT_SUPPORTED', 'snapshots cover the data directory only: blobs kept elsewhere (ATOLL_BLOB_DIR, ATOLL_BLOB_URL) are not supported');
  }
}

function isSqliteFile(path: string): boolean {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** Files of the data directory worth keeping: not the lock, WAL companions, temporary or staging files. */
function listFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'tmp' || entry.name.startsWith('.snapshot-')) continue;
      listFiles(root, path, out);
    } else if (entry.isFile()) {
      if (dir === root && entry.name === LOCK_FILE) continue;
      if (/-(wal|shm|journal)$/.test(entry.name)) continue;
      out.push(relative(root, path));
    }
  }
  return out;
}

/** Writes a snapshot of `source.dataDir` to `file` (a gzipped tar); the platform may be running. */
export async function saveSnapshot(source: SnapshotSource, file: string): Promise<{ files: number; databases: number }> {
  assertSnapshotSupported(source);
  if (!existsSync(source.dataDir)) throw new AtollError('SNAPSHOT_NO_DATA_DIR', `${source.dataDir} does not exist`);
  const staging = join(source.dataDir, `.snapshot-${randomUUID()}`);
  mkdirSync(staging);
  try {
    const files = listFiles(source.dataDir);
    const databases = files.filter((f) => isSqliteFile(join(source.dataDir, f)));
    // Databases first: a blob is written before any row names it, so every blob a copied row names
    // exists when the blobs are linked next.
    for (const name of databases) {
      const target = join(staging, name);
      mkdirSync(dirname(target), { recursive: true });
      const db = new Database(join(source.dataDir, name), { fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        await db.backup(target);
      } finally {
        db.close();
      }
    }
    for (const name of files) {
      if (databases.includes(name)) continue;
      const from = join(source.dataDir, name);
      const target = join(staging, name);
      mkdirSync(dirname(target), { recursive: true });
      try {
        linkSync(from, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // removed meanwhile (a deleted object's blob)
        copyFileSync(from, target);
      }
    }
    writeFileSync(join(staging, MANIFEST), JSON.stringify({ format: 1, createdAt: new Date().toISOString(), databases: databases.length, files: files.length }));
    const partial = `${file}.${process.pid}.partial`;
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, readdirSync(staging));
    renameSync(partial, file);
    return { files: files.length, databases: databases.length };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Replaces `dataDir` by the content of snapshot `file`. Refuses while a platform uses the directory
 * (SNAPSHOT_DATA_DIR_IN_USE) and when the file is not an Atoll snapshot (SNAPSHOT_INVALID).
 */
export async function loadSnapshot(dataDir: string, file: string): Promise<{ files: number }> {
  const user = dataDirUser(dataDir);
  if (user) {
    throw new AtollError(
      'SNAPSHOT_DATA_DIR_IN_USE',
      `${dataDir} is in use by the platform${user.endpoint ? ` at ${user.endpoint}` : ''} (pid ${user.pid}): stop it before loading a snapshot`,
    );
  }
  if (!existsSync(file)) throw new AtollError('SNAPSHOT_INVALID', `${file} does not exist`);
  const target = resolve(dataDir);
  const staging = `${target}.loading-${randomUUID()}`;
  mkdirSync(staging, { recursive: true });
  try {
    try {
      await tar.extract({ file, cwd: staging, strict: true });
    } catch (cause) {
      throw new AtollError('SNAPSHOT_INVALID', `${file} is not an Atoll snapshot (it is not a readable tar.gz)`, { cause });
    }
    if (!existsSync(join(staging, MANIFEST))) throw new AtollError('SNAPSHOT_INVALID', `${file} is not an Atoll snapshot (no ${MANIFEST})`);
    rmSync(join(staging, MANIFEST));
    const files = listFiles(staging).length;
    if (existsSync(target)) {
      const previous = `${target}.previous-${randomUUID()}`;
      renameSync(target, previous);
      renameSync(staging, target);
      rmSync(previous, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
    return { files };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
