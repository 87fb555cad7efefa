// The asynchronous store contract: every service's store reaches its tables only through a
// StoreDatabase, which is SQLite (the embedded default) or PostgreSQL (ATOLL_DATABASE_URL). SQL is
// written once with `?` placeholders; what differs between the engines is named in SqlDialect and kept
// small. Atomicity lives in the database: transactions, `FOR UPDATE`, `SKIP LOCKED`, never in the
// event loop, because several nodes may write at once. The implementations are in @atoll/storage;
// the types live here because PlatformContext hands a StorageBackend to every service.

export type SqlValue = string | number | bigint | boolean | Buffer | Uint8Array | null;

export interface SqlRunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
}

/** What differs between the engines, by name. Stores splice these into their SQL. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** ` FOR UPDATE` on PostgreSQL (row locks for read-then-write); empty on SQLite (one writer). */
  readonly forUpdate: string;
  /** ` FOR UPDATE SKIP LOCKED` on PostgreSQL (a row goes to exactly one taker); empty on SQLite. */
  readonly skipLocked: string;
}

/** Statements on one connection; inside `transaction`, on the transaction's connection. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Every row of a query. Integers come back as numbers, BLOB/BYTEA as Buffers. */
  all<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** The first row of a query, or undefined. */
  get<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  /** A statement that changes rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
}

/** Statements inside a transaction, and signals sent when (and only if) it commits. */
export interface SqlTransaction extends SqlExecutor {
  /** Sends `payload` on `channel` to every listener on every node once the transaction commits. */
  notify(channel: string, payload: string): void;
}

export interface TransactionOptions {
  /**
   * False lets the write settle before it is fsynced (SQLite group commit: a receive's visibility
   * change). A later durable write's sync covers it. PostgreSQL commits are always durable.
   */
  durable?: boolean;
  /**
   * `serializable` (the default) makes read-then-write logic correct across nodes: PostgreSQL may
   * abort the transaction on a conflict, and `work` then runs again. `read-committed` is for work
   * that takes its own row locks (`SKIP LOCKED` queues) and must not be retried for a conflict.
   */
  isolation?: 'serializable' | 'read-committed';
}

/** Cross-node signals: in-process on SQLite, LISTEN/NOTIFY on PostgreSQL. */
export interface Signals {
  /** Sends now (outside any transaction). */
  notify(channel: string, payload: string): Promise<void>;
  /** Calls `handler` for every signal on `channel`, from any node, this one included. Returns an unsubscribe function. */
  listen(channel: string, handler: (payload: string) => void): () => void;
}

export interface StoreDatabase extends SqlExecutor {
  /** `sqlite:<file>` or `postgres:<schema>`, for logs and readiness. */
  readonly location: string;
  /**
   * Runs `work` in one transaction and resolves with its result once it is committed (and durable,
   * unless asked otherwise). If `work` throws, nothing it did is kept.
   *
   * Contract: `work` only runs statements on `tx` (no other awaits, and never statements on the
   * database itself, which wait for the batch: on SQLite, transactions of one tick share a commit),
   * and on PostgreSQL it may run more than once (serialization retries), so it must not have effects
   * outside the database. A failed statement fails the transaction: PostgreSQL aborts it, so work
   * that catches the error and goes on is rejected at commit (STORAGE_ROLLED_BACK).
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  readonly signals: Signals;
  /** Finishes queued writes and releases the database. */
  close(): Promise<void>;
}

/**
 * A forward-only schema step. `up` is SQL for both engines, or per engine (an empty string skips an
 * engine), or a function run inside the migration's transaction.
 */
export interface StoreMigration {
  version: number;
  name: string;
  up: string | { sqlite: string; postgres: string } | ((tx: SqlExecutor) => Promise<void>);
}


/** A loop that runs while this node leads it: `start` begins it, and `signal` aborts when leadership ends. */
export type LeaderLoop = (signal: AbortSignal) => void | Promise<void>;

export interface Leadership {
  /**
   * Runs `loop` whenever this node holds leadership of `name`. Returns a function that stops the
   * loop and gives the leadership up.
   */
  lead(name: string, loop: LeaderLoop): () => void;
  /** Whether this node leads `name` now. */
  isLeader(name: string): boolean;
  /** The loops this node leads now (readiness reports them). */
  leading(): string[];
  /**
   * Resolves once this node has tried to take every role asked for so far (at once on the embedded
   * engine): a provider that must know whether it leads before it serves awaits it.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}


export interface OpenStoreOptions {
  /** The SQLite file, relative to the data directory (default `<name>/<name>.db`). */
  file?: string;
}

export interface StorageBackend {
  readonly engine: 'sqlite' | 'postgres';
  /** `sqlite:<dataDir>` or the database URL with its password hidden. */
  readonly database: string;
  /** The root under which services keep their blobs (`<blobDir>/<service>/…`). */
  readonly blobDir: string;
  /**
   * `s3://bucket/prefix` when blobs live in an S3-compatible bucket (ATOLL_BLOB_URL); `blobDir` is
   * then this node's local cache of them. Services get their blob store from @atoll/storage's
   * `blobStoreFor(storage, name)`, which honours both.
   */
  readonly blobUrl?: string;
  readonly leadership: Leadership;
  /** Opens a service's store: its SQLite file, or its PostgreSQL schema `name`; applies migrations. */
  open(name: string, migrations: readonly StoreMigration[], options?: OpenStoreOptions): Promise<StoreDatabase>;
  /** Throws when the database cannot be reached now (readiness). */
  check(): Promise<void>;
  /**
   * Empties store `name` (every table but the migrations' record, which keeps the schema current)
   * and removes its blobs (`<blobDir>/<name>/blobs`). Its users must have closed it (platform reset).
   */
  wipe?(name: string): Promise<void>;
  /** The stores opened through this backend so far (platform reset and its tests). */
  storesOpened?(): readonly string[];
  close(): Promise<void>;
}
