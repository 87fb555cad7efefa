// PostgreSQL behind the store contract, for several Atoll nodes over one database. A node keeps one
// connection pool (each store is a schema, set on a connection when it changes hands), one listening
// connection for signals (LISTEN/NOTIFY on one channel) and one connection for leader locks (see
// postgres-leadership.ts). Transactions are SERIALIZABLE by default and run again on a serialization
// failure or deadlock; `?` placeholders become `$n`, and each statement is prepared once per connection.
import pg from 'pg';
import { AtollError } from '@atoll/core';
import { migrationSql, orderedMigrations, redactUrl } from './store-database.js';
import type {
  Signals,
  SqlDialect,
  SqlRunResult,
  SqlTransaction,
  SqlValue,
  StoreDatabase,
  StoreMigration,
  TransactionOptions,
} from '@atoll/core';

const DIALECT: SqlDialect = { name: 'postgres', forUpdate: ' FOR UPDATE', skipLocked: ' FOR UPDATE SKIP LOCKED' };
const SIGNAL_CHANNEL = 'atoll_signal';
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 30;

/** Integers and bigints as JavaScript numbers (ids, counts and epoch milliseconds stay below 2^53). */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};


const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** Whether an error means the database cannot be reached (rather than a statement failing). */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  const message = e.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error|Connection ended/.test(message);
}

function unavailable(url: string, cause: unknown): AtollError {
  return new AtollError('STORAGE_UNAVAILABLE', `the database at ${redactUrl(url)} cannot be reached`, { cause });
}

/** `?` → `$1, $2 …`, outside quoted strings and identifiers. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') out += `$${++n}`;
    else out += c;
  }
  return out;
}

export interface PostgresClusterOptions {
  url: string;
  /** Connections in the pool (default 8). */
  poolSize?: number;
  /** How long a connect may take before requests fail with 503 (default 3000 ms). */
  connectTimeoutMs?: number;
  /** How long one statement may run (default 8000 ms), so that no request waits past 10 s. */
  statementTimeoutMs?: number;
  onError?: (error: unknown, what: string) => void;
}

interface Prepared {
  name: string;
  text: string;
}

/** One node's connections to the shared database. */
export class PostgresCluster {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly options: PostgresClusterOptions;
  readonly #schemaOf = new WeakMap<pg.PoolClient, string>();
  readonly #guarded = new WeakSet<pg.PoolClient>();
  readonly #prepared = new Map<string, Prepared>();
  readonly #handlers = new Map<string, Set<(payload: string) => void>>();
  #listener: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: PostgresClusterOptions) {
    this.options = options;
    this.url = options.url;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 8,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      query_timeout: options.statementTimeoutMs ?? 8000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      types: TYPES,
      application_name: 'atoll',
    });
    // An idle client that loses its connection is dropped by the pool; the error must not crash the node.
    this.pool.on('error', (error) => options.onError?.(error, 'idle connection'));
  }

  /** Connects once, to fail early with a clear message when the database is unreachable. */
  async check(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw unavailable(this.url, error);
    }
  }

  /** A new dedicated connection (leader locks), with the cluster's settings. */
  newClient(): pg.Client {
    return new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 3000,
      query_timeout: this.options.statementTimeoutMs ?? 8000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      types: TYPES,
      application_name: 'atoll',
    });
  }

  async open(schema: string, migrations: readonly StoreMigration[]): Promise<PostgresStoreDatabase> {
    if (!/^[a-z][a-z0-9_]*$/.test(schema)) throw new AtollError('STORAGE_BAD_SCHEMA', `"${schema}" is not a schema name`);
    const store = new PostgresStoreDatabase(this, schema);
    for (let attempt = 1; ; attempt++) {
      try {
        await store.migrate(migrations);
        break;
      } catch (error) {
        // Nodes starting together can see a unique violation on the catalog (pg_namespace, pg_type)
        // from a CREATE … IF NOT EXISTS despite the migration lock; the next try finds the object.
        if (attempt >= 3 || (error as { code?: string }).code !== '23505') throw error;
      }
    }
    await this.#listen();
    return store;
  }

  /** Checks out a connection whose search_path is `schema`. */
  async acquire(schema: string): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(this.url, error);
    }
    if (!this.#guarded.has(client)) {
      // The pool listens for errors of idle connections only: a connection lost while checked out
      // (between two statements of a transaction) would otherwise throw an uncaught 'error'. Its next
      // statement fails instead, and the connection is then dropped.
      client.on('error', (error) => this.options.onError?.(error, 'connection lost'));
      this.#guarded.add(client);
    }
    if (this.#schemaOf.get(client) !== schema) {
      try {
        await client.query(`SET search_path TO ${schema}`);
      } catch (error) {
        client.release(true);
        throw isConnectionError(error) ? unavailable(this.url, error) : error;
      }
      this.#schemaOf.set(client, schema);
    }
    return client;
  }

  /** The prepared form of one statement of one schema (names are unique per schema and text). */
  prepared(schema: string, sql: string): Prepared {
    const key = `${schema}\u0000${sql}`;
    let p = this.#prepared.get(key);
    if (!p) {
      p = { name: `a${this.#prepared.size}`, text: numberPlaceholders(sql) };
      this.#prepared.set(key, p);
    }
    return p;
  }

  unavailable(cause: unknown): AtollError {
    return unavailable(this.url, cause);
  }

  // ---- signals ------------------------------------------------------------------------------

  readonly signals: Signals = {
    notify: async (channel, payload) => {
      try {
        await this.pool.query('SELECT pg_notify($1, $2)', [SIGNAL_CHANNEL, `${channel}\n${payload}`]);
      } catch (error) {
        throw isConnectionError(error) ? unavailable(this.url, error) : error;
      }
    },
    listen: (channel, handler) => {
      let set = this.#handlers.get(channel);
      if (!set) this.#handlers.set(channel, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
  };

  #deliver(message: string): void {
    const cut = message.indexOf('\n');
    const set = this.#handlers.get(cut === -1 ? message : message.slice(0, cut));
    if (!set) return;
    const payload = cut === -1 ? '' : message.slice(cut + 1);
    for (const handler of set) {
      try {
        handler(payload);
      } catch (error) {
        this.options.onError?.(error, 'signal handler');
      }
    }
  }

  #listen(): Promise<void> {
    this.#listening ??= this.#connectListener().catch((error) => {
      this.#listening = undefined;
      throw error;
    });
    return this.#listening;
  }

  async #connectListener(): Promise<void> {
    const client = this.newClient();
    client.on('notification', (n) => {
      if (n.channel === SIGNAL_CHANNEL && n.payload !== undefined) this.#deliver(n.payload);
    });
    const lost = (error: unknown) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      this.#listening = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      if (this.#closed) return;
      this.options.onError?.(error, 'signal connection lost; reconnecting');
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('signal connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${SIGNAL_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => {});
      throw unavailable(this.url, error);
    }
    this.#listener = client;
    // Signals sent while this node was not listening are lost: listeners that must not miss work
    // (long polls) also poll at an interval, and a reconnect tells them to look now.
    this.#deliver('atoll.reconnected\n');
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#listen().catch(() => this.#scheduleReconnect());
    }, 1000);
    this.#reconnectTimer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) await listener.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

class PostgresExecutor implements SqlTransaction {
  readonly dialect = DIALECT;
  notes: [string, string][] | undefined;

  constructor(
    readonly cluster: PostgresCluster,
    readonly schema: string,
    readonly client: pg.PoolClient,
  ) {}

  async #query(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    const p = this.cluster.prepared(this.schema, sql);
    try {
      return await this.client.query({ name: p.name, text: p.text, values: params as unknown[] });
    } catch (error) {
      throw isConnectionError(error) ? this.cluster.unavailable(error) : error;
    }
  }

  async all<R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return (await this.#query(sql, params)).rows as R[];
  }

  async get<R>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return (await this.#query(sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    return { changes: (await this.#query(sql, params)).rowCount ?? 0 };
  }

  notify(channel: string, payload: string): void {
    (this.notes ??= []).push([channel, payload]);
  }
}

export class PostgresStoreDatabase implements StoreDatabase {
  readonly dialect = DIALECT;
  readonly location: string;
  readonly signals: Signals;

  constructor(
    readonly cluster: PostgresCluster,
    readonly schema: string,
  ) {
    this.location = `postgres:${schema}`;
    this.signals = cluster.signals;
  }

  async #withClient<T>(use: (exec: PostgresExecutor) => Promise<T>): Promise<T> {
    const client = await this.cluster.acquire(this.schema);
    let broken = false;
    try {
      return await use(new PostgresExecutor(this.cluster, this.schema, client));
    } catch (error) {
      broken = (error instanceof AtollError && error.code === 'STORAGE_UNAVAILABLE') || isConnectionError(error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  all<R>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.#withClient((e) => e.all<R>(sql, params));
  }

  get<R>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    return this.#withClient((e) => e.get<R>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.#withClient((e) => e.run(sql, params));
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const begin = options.isolation === 'read-committed' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL SERIALIZABLE';
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#withClient(async (tx) => {
          await tx.client.query(begin);
          try {
            const value = await work(tx);
            // The transaction's signals go with its COMMIT in one round trip (they are delivered at commit).
            const notify = (tx.notes ?? []).map(([channel, payload]) => `SELECT pg_notify('${SIGNAL_CHANNEL}', ${tx.client.escapeLiteral(`${channel}\n${payload}`)}); `);
            const results = (await tx.client.query(`${notify.join('')}COMMIT`)) as unknown as pg.QueryResult | pg.QueryResult[];
            // COMMIT of a transaction a failed statement aborted answers ROLLBACK, without an error.
            const commit = Array.isArray(results) ? results.at(-1) : results;
            if (commit?.command !== 'COMMIT') throw new AtollError('STORAGE_ROLLED_BACK', `a transaction on schema ${this.schema} was rolled back at commit`);
            return value;
          } catch (error) {
            await tx.client.query('ROLLBACK').catch(() => {});
            throw error;
          }
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        // BEGIN and COMMIT go to the connection directly: a lost connection there is the database
        // being unreachable too (503), not a failure of the work.
        if (!(error instanceof AtollError) && isConnectionError(error)) throw this.cluster.unavailable(error);
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw error;
        // Back off a little, more each time, with jitter, so that conflicting nodes take turns.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
  }

  /** Applies pending migrations under a lock, so that nodes starting together migrate once. */
  async migrate(migrations: readonly StoreMigration[]): Promise<void> {
    const ordered = orderedMigrations(migrations);
    const known = ordered.at(-1)?.version ?? 0;
    const client = await this.cluster.acquire(this.schema);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`atoll:migrate:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.schema}.atoll_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      const rows = (await client.query(`SELECT version FROM ${this.schema}.atoll_migrations`)).rows as { version: number }[];
      const applied = new Set(rows.map((r) => r.version));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new AtollError(
          'STORAGE_SCHEMA_TOO_NEW',
          `schema ${this.schema} in ${redactUrl(this.cluster.url)} has version ${newest}, newer than this Atoll knows (${known}): it was written by a newer Atoll; run that version`,
        );
      }
      const exec = new PostgresExecutor(this.cluster, this.schema, client);
      for (const m of ordered) {
        if (applied.has(m.version)) continue;
        const up = migrationSql(m, 'postgres');
        try {
          if (typeof up === 'function') await up(exec);
          else if (up.trim() !== '') await client.query(up);
        } catch (error) {
          throw new AtollError('STORAGE_MIGRATION_FAILED', `migration ${m.version} (${m.name}) of schema ${this.schema} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        await client.query(`INSERT INTO ${this.schema}.atoll_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw isConnectionError(error) ? this.cluster.unavailable(error) : error;
    } finally {
      client.release();
    }
  }

  /** The pool belongs to the cluster, which the storage backend closes. */
  async close(): Promise<void> {}
}
