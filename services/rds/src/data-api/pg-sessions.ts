// Connections from the Data API to PostgreSQL engines: one small pool per (endpoint, user, database),
// and the open transactions, each holding one connection until CommitTransaction or
// RollbackTransaction, or until it has been idle for the timeout (then it is rolled back).
// Transactions live on this node only; values travel as the engine's text output (no parsing here).
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SqlValue } from './sql-parameters.js';

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface PgResult {
  command: string;
  rowCount: number | null;
  fields: { name: string; dataTypeID: number; tableID: number; dataTypeModifier: number }[];
  rows: (string | null)[][];
}

/** Every value comes back as text: the Data API shapes are built from PostgreSQL's own output. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

interface OpenTransaction {
  client: pg.PoolClient;
  owner: string;
  timer: NodeJS.Timeout;
  /** Calls on one transaction run one at a time. */
  queue: Promise<unknown>;
}

export class TransactionMissingError extends Error {}

export class PgSessions {
  readonly #pools = new Map<string, pg.Pool>();
  readonly #transactions = new Map<string, OpenTransaction>();
  readonly #idleMs: number;

  constructor(options: { transactionIdleMs?: number } = {}) {
    this.#idleMs = options.transactionIdleMs ?? 3 * 60_000;
  }

  #pool(target: Target): pg.Pool {
    const key = createHash('sha256').update(JSON.stringify(target)).digest('hex');
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ ...target, max: 4, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
      pool.on('error', () => undefined); // an idle connection that the engine closed: dropped from the pool
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Runs one statement on a pooled connection (autocommit), or inside `transactionId`. */
  async query(target: Target, owner: string, text: string, values: SqlValue[] | undefined, transactionId?: string, onStart?: (pid: number, cancel: () => Promise<void>) => void): Promise<PgResult | PgResult[]> {
    if (transactionId) return this.inTransaction(transactionId, owner, (client) => this.#run(client, target, text, values, onStart));
    const client = await this.#pool(target).connect();
    try {
      return await this.#run(client, target, text, values, onStart);
    } finally {
      client.release();
    }
  }

  async #run(client: pg.PoolClient, target: Target, text: string, values: SqlValue[] | undefined, onStart?: (pid: number, cancel: () => Promise<void>) => void): Promise<PgResult | PgResult[]> {
    const pid = (client as unknown as { processID?: number }).processID ?? 0;
    onStart?.(pid, async () => {
      await this.#pool(target).query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    });
    const result = await client.query({ text, values: values as unknown[] | undefined, rowMode: 'array', types: RAW_TYPES } as pg.QueryArrayConfig);
    return result as unknown as PgResult | PgResult[];
  }

  /** Runs `work` with a fresh connection inside BEGIN … COMMIT (ROLLBACK on error). */
  async atomically<T>(target: Target, work: (run: (text: string, values?: SqlValue[]) => Promise<PgResult>) => Promise<T>): Promise<T> {
    const client = await this.#pool(target).connect();
    try {
      await client.query('BEGIN');
      const out = await work(async (text, values) => (await this.#run(client, target, text, values)) as PgResult);
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async begin(target: Target, owner: string): Promise<string> {
    const client = await this.#pool(target).connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release();
      throw error;
    }
    const id = randomBytes(96).toString('base64');
    const entry: OpenTransaction = { client, owner, timer: this.#idleTimer(id), queue: Promise.resolve() };
    this.#transactions.set(id, entry);
    return id;
  }

  #idleTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => void this.end(id, undefined, 'ROLLBACK').catch(() => undefined), this.#idleMs);
    timer.unref();
    return timer;
  }

  /** Runs `work` on the transaction's connection; unknown ids (or another cluster's) are refused. */
  async inTransaction<T>(id: string, owner: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const entry = this.#transactions.get(id);
    if (!entry || entry.owner !== owner) throw new TransactionMissingError(`Transaction ${id} is not found`);
    clearTimeout(entry.timer);
    const run = entry.queue.then(() => work(entry.client));
    entry.queue = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      if (this.#transactions.get(id) === entry) entry.timer = this.#idleTimer(id);
    }
  }

  /** COMMIT or ROLLBACK, then the connection goes back to its pool. */
  async end(id: string, owner: string | undefined, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const entry = this.#transactions.get(id);
    if (!entry || (owner !== undefined && entry.owner !== owner)) throw new TransactionMissingError(`Transaction ${id} is not found`);
    this.#transactions.delete(id);
    clearTimeout(entry.timer);
    await entry.queue;
    let broken: Error | undefined;
    try {
      await entry.client.query(command);
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      entry.client.release(broken);
    }
  }

  async close(): Promise<void> {
    for (const id of [...this.#transactions.keys()]) await this.end(id, undefined, 'ROLLBACK').catch(() => undefined);
    await Promise.allSettled([...this.#pools.values()].map((pool) => pool.end()));
    this.#pools.clear();
  }
}
