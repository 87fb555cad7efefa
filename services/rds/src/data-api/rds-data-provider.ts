// The RDS Data API (rest-json, signing name `rds-data`) for Aurora DB clusters with the HTTP endpoint
// enabled: SQL over HTTPS on the cluster's real engine, with the credentials of a Secrets Manager
// secret. The cluster comes from RDS's DescribeDBClusters and the secret from Secrets Manager's
// GetSecretValue, both through the platform's in-process calls.
//
// Known limitations:
// - aurora-postgresql only; aurora-mysql clusters answer BadRequestException (not supported by Atoll's
//   Data API). The DB cluster must be available, have the HTTP endpoint enabled and at least one DB
//   instance (as in AWS), and the secret must be a JSON SecretString with `username` and `password`.
// - Transactions are held by the node that began them (a transaction id sent to another node answers
//   TransactionNotFoundException); an idle transaction is rolled back after 3 minutes; none is cut at 24 h.
// - Statements time out after 45 s (StatementTimeoutException); without continueAfterTimeout the
//   statement is cancelled on the engine. The 1 MiB response limit is enforced on the records' size.
// - `schema` is ignored (as AWS documents for PostgreSQL); generatedFields is always empty (use
//   RETURNING, as AWS advises for PostgreSQL). SQL errors answer DatabaseErrorException with the
//   engine's message and SQLState, authentication failures included.
// - Column metadata: name, label, typeName, JDBC type, precision/scale from the type modifier;
//   schemaName and tableName are empty, nullable is 2 (unknown), isAutoIncrement is false.
import type { IamRequest, OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import {
  BadRequestException,
  DatabaseErrorException,
  DatabaseNotFoundException,
  DatabaseUnavailableException,
  HttpEndpointNotEnabledException,
  InvalidResourceStateException,
  InvalidSecretException,
  NotFoundException,
  SecretsErrorException,
  StatementTimeoutException,
  TransactionNotFoundException,
  type BatchExecuteStatementRequest,
  type BeginTransactionRequest,
  type CommitTransactionRequest,
  type ExecuteSqlRequest,
  type ExecuteStatementRequest,
  type ExecuteStatementResult,
  type RollbackTransactionRequest,
  type SqlStatementResult,
} from '@atoll/aws-models/rdsdata';
import { columnMetadata, toField, toJsonValue, toValue } from './pg-results.js';
import { PgSessions, TransactionMissingError, type PgResult, type Target } from './pg-sessions.js';
import { ParameterError, toPositional } from './sql-parameters.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

interface ClusterView {
  DBClusterArn?: string;
  Status?: string;
  Engine?: string;
  Endpoint?: string;
  Port?: number;
  DatabaseName?: string;
  HttpEndpointEnabled?: boolean;
  DBClusterMembers?: unknown[];
}

export interface RdsDataOptions {
  /** The statement timeout (45 s in AWS). */
  statementTimeoutMs?: number;
  /** How long an open transaction may stay idle before it is rolled back (3 minutes in AWS). */
  transactionIdleMs?: number;
}

export class RdsDataProvider implements ServiceProvider {
  readonly service = 'rdsdata';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly #platform: PlatformContext;
  readonly #sessions: PgSessions;
  readonly #timeoutMs: number;

  constructor(platform: PlatformContext, options: RdsDataOptions = {}) {
    this.#platform = platform;
    this.#timeoutMs = options.statementTimeoutMs ?? (Number(process.env.ATOLL_RDS_DATA_TIMEOUT_MS) || 45_000);
    this.#sessions = new PgSessions({ transactionIdleMs: options.transactionIdleMs });
    this.operations = {
      ExecuteStatement: (input: ExecuteStatementRequest, ctx: RequestContext) => this.executeStatement(input, ctx),
      BatchExecuteStatement: (input: BatchExecuteStatementRequest, ctx: RequestContext) => this.batchExecuteStatement(input, ctx),
      BeginTransaction: (input: BeginTransactionRequest, ctx: RequestContext) => this.beginTransaction(input, ctx),
      CommitTransaction: (input: CommitTransactionRequest, ctx: RequestContext) => this.endTransaction(input, ctx, 'COMMIT'),
      RollbackTransaction: (input: RollbackTransactionRequest, ctx: RequestContext) => this.endTransaction(input, ctx, 'ROLLBACK'),
      ExecuteSql: (input: ExecuteSqlRequest, ctx: RequestContext) => this.executeSql(input, ctx),
    };
  }

  authorization(_operation: string, input: Record<string, unknown>): IamRequest | undefined {
    const arn = input.resourceArn ?? input.dbClusterOrInstanceArn;
    return typeof arn === 'string' ? { resources: [arn] } : undefined;
  }

  async close(): Promise<void> {
    await this.#sessions.close();
  }

  // ---- resolving the cluster and the secret ----

  async #target(ctx: RequestContext, resourceArn: string, secretArn: string, database: string | undefined): Promise<Target> {
    const match = /^arn:aws[\w-]*:rds:([^:]+):(\d{12}):cluster:(.+)$/.exec(resourceArn);
    if (!match) throw new BadRequestException(`Invalid resource ARN: ${resourceArn}. The Data API serves Aurora DB clusters (arn:aws:rds:<region>:<account>:cluster:<id>).`);
    if (match[1] !== ctx.region || match[2] !== ctx.accountId) throw new NotFoundException(`DB cluster ${resourceArn} not found.`);
    let cluster: ClusterView | undefined;
    try {
      // The Data API reads the cluster for itself: callers need rds-data:*, not rds:DescribeDBClusters.
      const out = await this.#platform.call<{ DBClusters?: ClusterView[] }>('rds', 'DescribeDBClusters', { DBClusterIdentifier: match[3] }, { accountId: ctx.accountId, region: ctx.region, requestId: ctx.requestId, traceId: ctx.traceId });
      cluster = out.DBClusters?.[0];
    } catch (error) {
      if ((error as { code?: string }).code === 'DBClusterNotFoundFault') throw new NotFoundException(`DB cluster ${resourceArn} not found.`);
      throw error;
    }
    if (!cluster) throw new NotFoundException(`DB cluster ${resourceArn} not found.`);
    if (!cluster.HttpEndpointEnabled) throw new HttpEndpointNotEnabledException(`HttpEndpoint is not enabled for resource ${resourceArn}`);
    if (cluster.Engine !== 'aurora-postgresql') throw new BadRequestException(`The Data API of Atoll serves aurora-postgresql clusters only; ${resourceArn} runs ${cluster.Engine}.`);
    if (!cluster.DBClusterMembers?.length) throw new DatabaseNotFoundException(`The DB cluster ${resourceArn} doesn't have a DB instance.`);
    if (cluster.Status === 'stopped' || cluster.Status === 'stopping' || cluster.Status === 'starting') {
      throw new InvalidResourceStateException(`The DB cluster ${resourceArn} is ${cluster.Status}.`);
    }
    if (!['available', 'backing-up', 'modifying', 'resetting-master-credentials'].includes(cluster.Status ?? '')) {
      throw new DatabaseUnavailableException(`The DB cluster ${resourceArn} is not available (status ${cluster.Status}).`);
    }
    const { username, password } = await this.#secret(ctx, secretArn);
    return { host: cluster.Endpoint ?? '127.0.0.1', port: cluster.Port ?? 5432, user: username, password, database: database || cluster.DatabaseName || 'postgres' };
  }

  #callContext(ctx: RequestContext) {
    return { accountId: ctx.accountId, region: ctx.region, identity: ctx.identity, requestId: ctx.requestId, traceId: ctx.traceId };
  }

  /** The secret, read as the caller: as in AWS, callers need secretsmanager:GetSecretValue on it. */
  async #secret(ctx: RequestContext, secretArn: string): Promise<{ username: string; password: string }> {
    let secretString: string | undefined;
    try {
      const out = await this.#platform.call<{ SecretString?: string }>('secretsmanager', 'GetSecretValue', { SecretId: secretArn }, this.#callContext(ctx));
      secretString = out.SecretString;
    } catch (error) {
      throw new SecretsErrorException(`Error fetching secret ${secretArn}: ${(error as Error).message}`);
    }
    let parsed: { username?: unknown; password?: unknown } | undefined;
    try {
      parsed = secretString ? (JSON.parse(secretString) as typeof parsed) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed?.username !== 'string' || typeof parsed.password !== 'string') {
      throw new InvalidSecretException(`The secret ${secretArn} must be a JSON SecretString with "username" and "password".`);
    }
    return { username: parsed.username, password: parsed.password };
  }

  // ---- running statements ----

  /** Runs `work` with AWS's errors: SQL errors, a missing database, a closed engine, the statement timeout. */
  async #engine<T>(work: (onStart: (pid: number, cancel: () => Promise<void>) => void) => Promise<T>, continueAfterTimeout = false): Promise<T> {
    let cancel: (() => Promise<void>) | undefined;
    let pid = 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (!continueAfterTimeout) void cancel?.();
        reject(new StatementTimeoutException('The statement timed out.', { dbConnectionId: pid }));
      }, this.#timeoutMs);
    });
    const running = work((p, c) => {
      pid = p;
      cancel = c;
    });
    running.catch(() => undefined);
    try {
      return await Promise.race([running, timeout]);
    } catch (error) {
      throw translate(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async executeStatement(input: ExecuteStatementRequest, ctx: RequestContext): Promise<ExecuteStatementResult> {
    const target = await this.#target(ctx, input.resourceArn, input.secretArn, input.database);
    const statement = parameters(() => toPositional(input.sql, input.parameters));
    const result = lastResult(
      await this.#engine(
        (onStart) => this.#sessions.query(target, input.resourceArn, statement.text, statement.values, input.transactionId, onStart),
        input.continueAfterTimeout,
      ),
    );
    const out: ExecuteStatementResult = { numberOfRecordsUpdated: isUpdate(result) ? (result.rowCount ?? 0) : 0, generatedFields: [] };
    if (result.fields.length > 0) {
      if (input.formatRecordsAs === 'JSON') {
        out.formattedRecords = JSON.stringify(
          result.rows.map((row) => Object.fromEntries(result.fields.map((column, i) => [column.name, toJsonValue(column, row[i] ?? null, input.resultSetOptions)]))),
        );
        checkSize(out.formattedRecords.length);
      } else {
        out.records = result.rows.map((row) => result.fields.map((column, i) => toField(column, row[i] ?? null, input.resultSetOptions)));
        checkSize(JSON.stringify(out.records).length);
      }
      if (input.includeResultMetadata) out.columnMetadata = result.fields.map(columnMetadata);
    }
    return out;
  }

  async batchExecuteStatement(input: BatchExecuteStatementRequest, ctx: RequestContext) {
    const target = await this.#target(ctx, input.resourceArn, input.secretArn, input.database);
    const sets = input.parameterSets && input.parameterSets.length > 0 ? input.parameterSets : [[]];
    const statements = sets.map((set) => parameters(() => toPositional(input.sql, set)));
    if (input.transactionId) {
      for (const statement of statements) {
        await this.#engine(() => this.#sessions.query(target, input.resourceArn, statement.text, statement.values, input.transactionId));
      }
    } else {
      // Without a transaction id the whole batch commits (or fails) as one.
      await this.#engine(() =>
        this.#sessions.atomically(target, async (run) => {
          for (const statement of statements) await run(statement.text, statement.values);
        }),
      );
    }
    return { updateResults: input.parameterSets && input.parameterSets.length > 0 ? statements.map(() => ({ generatedFields: [] })) : [] };
  }

  async beginTransaction(input: BeginTransactionRequest, ctx: RequestContext) {
    const target = await this.#target(ctx, input.resourceArn, input.secretArn, input.database);
    return { transactionId: await this.#engine(() => this.#sessions.begin(target, input.resourceArn)) };
  }

  async endTransaction(input: CommitTransactionRequest, ctx: RequestContext, command: 'COMMIT' | 'ROLLBACK') {
    await this.#target(ctx, input.resourceArn, input.secretArn, undefined);
    await this.#engine(() => this.#sessions.end(input.transactionId, input.resourceArn, command));
    return { transactionStatus: command === 'COMMIT' ? 'Transaction Committed' : 'Rollback Complete' };
  }

  async executeSql(input: ExecuteSqlRequest, ctx: RequestContext) {
    const target = await this.#target(ctx, input.dbClusterOrInstanceArn, input.awsSecretStoreArn, input.database);
    const results = await this.#engine((onStart) => this.#sessions.query(target, input.dbClusterOrInstanceArn, input.sqlStatements, undefined, undefined, onStart));
    const list = Array.isArray(results) ? results : [results];
    const sqlStatementResults: SqlStatementResult[] = list.map((result) => ({
      numberOfRecordsUpdated: isUpdate(result) ? (result.rowCount ?? 0) : 0,
      resultFrame:
        result.fields.length > 0
          ? {
              resultSetMetadata: { columnCount: result.fields.length, columnMetadata: result.fields.map(columnMetadata) },
              records: result.rows.map((row) => ({ values: result.fields.map((column, i) => toValue(column, row[i] ?? null)) })),
            }
          : undefined,
    }));
    checkSize(JSON.stringify(sqlStatementResults).length);
    return { sqlStatementResults };
  }
}

function parameters<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ParameterError) throw new BadRequestException(error.message);
    throw error;
  }
}

function lastResult(result: PgResult | PgResult[]): PgResult {
  return Array.isArray(result) ? result[result.length - 1]! : result;
}

function isUpdate(result: PgResult): boolean {
  return ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(result.command);
}

function checkSize(bytes: number): void {
  if (bytes > MAX_RESPONSE_BYTES) throw new BadRequestException('Database returned more than the allowed response size limit');
}

/** The engine's failures as the Data API's errors. */
function translate(error: unknown): unknown {
  if (error instanceof TransactionMissingError) return new TransactionNotFoundException(error.message);
  if (error instanceof Error && 'spec' in (error.constructor as object)) return error; // already a service error
  const e = error as { code?: string; message?: string; position?: string };
  if (e.code === '57014') return new StatementTimeoutException('The statement was cancelled: it ran past the statement timeout.');
  if (e.code === '3D000') return new DatabaseNotFoundException(`ERROR: ${e.message}; SQLState: ${e.code}`);
  if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? '')) {
    return new DatabaseUnavailableException(`The database is unavailable: ${e.message}`);
  }
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return new DatabaseErrorException(`ERROR: ${e.message}${e.position ? `\n  Position: ${e.position}` : ''}; SQLState: ${e.code}`);
  }
  return error;
}
