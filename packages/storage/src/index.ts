export { openDatabase } from './database.js';
export type { Migration, OpenDatabaseOptions, SqliteDatabase, SqliteStatement } from './database.js';
export { GroupCommit } from './group-commit.js';
export { BlobStore, BlobTooLargeError } from './blob-store.js';
export type { DigestAlgorithm, Digests, PutBlobOptions, StoredBlob } from './blob-store.js';
