// Exports to S3 (ExportTableToPointInTime, DescribeExport, ListExports) and imports from S3
// (ImportTable, DescribeImport, ListImports). DynamoDB reaches S3 only through S3's public typed
// operations (`platform.call`): PutObject for an export's data and manifest files, ListObjectsV2 and
// GetObject for an import's. Both run as jobs after the call answers (IN_PROGRESS); a job whose
// node died is run again by the housekeeping leader (every step is idempotent).
//
// An export reads a consistent snapshot of the table at ExportTime (taken in one transaction from
// the PITR history, like a restore), then writes gzip data files of up to 10,000 items, the
// manifest-files.json lines, manifest-summary.json, their .checksum files and `_started`, under
// `<S3Prefix>/AWSDynamoDB/<ExportId>/` as DynamoDB lays them out.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CommonErrors, type PlatformContext, type RequestContext } from '@atoll/core';
import {
  ExportNotFoundException,
  ImportNotFoundException,
  InvalidExportTimeException,
  PointInTimeRecoveryUnavailableException,
  ResourceInUseException,
  TableNotFoundException,
} from '@atoll/aws-models/dynamodb';
import { deserializeItem, type Item } from './attribute-value.js';
import { restorableWindow } from './backup-operations.js';
import type { JobRecord } from './backup-store.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { Errors, validated } from './errors.js';
import { encodeItemKey, checkItemSize, readItem, writeItem } from './table-engine.js';
import { csvItems, dynamoJsonLine, ionLine, parseCsv, parseDynamoJsonLine } from './transfer-formats.js';
import { checkTableName, validateCreateTable, type CreateTableInput, type TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ITEMS_PER_FILE = 10_000;
const IMPORT_BATCH = 200;
const JOB_STALE_MS = 60_000;

interface ExportJob extends JobRecord {
  kind: 'export';
  tableArn: string;
  tableId: string;
  tableRowId: number;
  exportTime: number;
  clientToken: string;
  s3Bucket: string;
  s3BucketOwner?: string;
  s3Prefix?: string;
  s3SseAlgorithm: string;
  exportFormat: 'DYNAMODB_JSON' | 'ION';
  endTime?: number;
  itemCount?: number;
  billedSizeBytes?: number;
  manifest?: string;
  failureCode?: string;
  failureMessage?: string;
}

interface ImportJob extends JobRecord {
  kind: 'import';
  tableArn: string;
  tableId: string;
  tableRowId: number;
  clientToken?: string;
  source: { S3Bucket: string; S3KeyPrefix?: string; S3BucketOwner?: string };
  inputFormat: 'CSV' | 'DYNAMODB_JSON' | 'ION';
  inputFormatOptions?: { Csv?: { Delimiter?: string; HeaderList?: string[] } };
  compression: 'GZIP' | 'NONE' | 'ZSTD';
  creation: Input;
  endTime?: number;
  processedSizeBytes?: number;
  processedItemCount?: number;
  importedItemCount?: number;
  errorCount?: number;
  failureCode?: string;
  failureMessage?: string;
}

function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value * 1000;
  return new Date(String(value)).getTime();
}

const jobId = (now: number) => `${String(now).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;

function exportDescription(job: ExportJob): Record<string, unknown> {
  return {
    ExportArn: job.arn,
    ExportStatus: job.status,
    StartTime: new Date(job.createdAt),
    ...(job.endTime !== undefined ? { EndTime: new Date(job.endTime) } : {}),
    ...(job.manifest ? { ExportManifest: job.manifest } : {}),
    TableArn: job.tableArn,
    TableId: job.tableId,
    ExportTime: new Date(job.exportTime),
    ClientToken: job.clientToken,
    S3Bucket: job.s3Bucket,
    ...(job.s3BucketOwner ? { S3BucketOwner: job.s3BucketOwner } : {}),
    ...(job.s3Prefix !== undefined ? { S3Prefix: job.s3Prefix } : {}),
    S3SseAlgorithm: job.s3SseAlgorithm,
    ...(job.failureCode ? { FailureCode: job.failureCode, FailureMessage: job.failureMessage } : {}),
    ExportFormat: job.exportFormat,
    ...(job.billedSizeBytes !== undefined ? { BilledSizeBytes: job.billedSizeBytes } : {}),
    ...(job.itemCount !== undefined ? { ItemCount: job.itemCount } : {}),
    ExportType: 'FULL_EXPORT',
  };
}

function importDescription(job: ImportJob): Record<string, unknown> {
  return {
    ImportArn: job.arn,
    ImportStatus: job.status,
    TableArn: job.tableArn,
    TableId: job.tableId,
    ...(job.clientToken ? { ClientToken: job.clientToken } : {}),
    S3BucketSource: job.source,
    ErrorCount: job.errorCount ?? 0,
    InputFormat: job.inputFormat,
    ...(job.inputFormatOptions ? { InputFormatOptions: job.inputFormatOptions } : {}),
    InputCompressionType: job.compression,
    TableCreationParameters: job.creation,
    StartTime: new Date(job.createdAt),
    ...(job.endTime !== undefined ? { EndTime: new Date(job.endTime) } : {}),
    ProcessedSizeBytes: job.processedSizeBytes ?? 0,
    ProcessedItemCount: job.processedItemCount ?? 0,
    ImportedItemCount: job.importedItemCount ?? 0,
    ...(job.failureCode ? { FailureCode: job.failureCode, FailureMessage: job.failureMessage } : {}),
  };
}

/** An S3 failure as a job's FailureCode (DynamoDB prefixes S3's codes: S3NoSuchBucket …). */
function failureOf(error: unknown): { code: string; message: string } {
  const code = (error as { code?: string }).code ?? (error as Error).name ?? 'UnknownError';
  const message = (error as Error).message ?? String(error);
  return { code: code.startsWith('S3') || code === 'ItemValidationError' ? code : `S3${code}`, message };
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Readable || (body && typeof (body as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function')) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  return Buffer.alloc(0);
}

export function createTransferOperations(ctx: DynamoDbContext, platform: PlatformContext) {
  const running = new Map<string, Promise<void>>();
  const s3 = <O>(job: JobRecord, operation: string, input: Record<string, unknown>) =>
    platform.call<O>('s3', operation, input, { accountId: job.accountId, region: job.region });

  function start(job: JobRecord, run: () => Promise<void>): void {
    if (running.has(job.arn)) return;
    const task = run()
      .catch((error) => platform.logger.warn({ err: error, job: job.arn }, 'dynamodb job failed'))
      .finally(() => running.delete(job.arn));
    running.set(job.arn, task);
  }

  async function runExport(job: ExportJob): Promise<void> {
    const base = `${job.s3Prefix ? `${job.s3Prefix.replace(/\/+$/, '')}/` : ''}AWSDynamoDB/${job.arn.split('/export/')[1]}`;
    const put = async (key: string, body: Buffer | string) =>
      (await s3<{ ETag?: string }>(job, 'PutObject', { Bucket: job.s3Bucket, Key: key, Body: Buffer.isBuffer(body) ? body : Buffer.from(body) })).ETag;
    try {
      await ctx.store.backups.snapshotAt(job.arn, job.tableRowId, job.exportTime);
      await put(`${base}/_started`, '');
      const files: string[] = [];
      let itemCount = 0;
      let bytes = 0;
      let after: { pk: Buffer; sk: Buffer } | undefined;
      for (;;) {
        const rows = await ctx.store.backups.snapshotPage(job.arn, ITEMS_PER_FILE, after);
        if (rows.length === 0 && files.length > 0) break;
        const lines = rows.map((r) => (job.exportFormat === 'ION' ? ionLine(deserializeItem(r.item)) : dynamoJsonLine(r.item)));
        const data = gzipSync(lines.length ? `${lines.join('\n')}\n` : '');
        const key = `${base}/data/${randomBytes(13).toString('hex').slice(0, 26)}.${job.exportFormat === 'ION' ? 'ion' : 'json'}.gz`;
        const etag = await put(key, data);
        files.push(
          JSON.stringify({ itemCount: rows.length, md5Checksum: createHash('md5').update(data).digest('base64'), etag: (etag ?? '').replace(/"/g, ''), dataFileS3Key: key }),
        );
        itemCount += rows.length;
        for (const r of rows) bytes += r.size;
        if (rows.length < ITEMS_PER_FILE) break;
        const last = rows[rows.length - 1]!;
        after = { pk: last.pk, sk: last.sk };
      }
      const manifestFiles = `${files.join('\n')}\n`;
      await put(`${base}/manifest-files.json`, manifestFiles);
      await put(`${base}/manifest-files.checksum`, createHash('md5').update(manifestFiles).digest('hex'));
      const endTime = Date.now();
      const summary = JSON.stringify({
        version: '2020-06-30',
        exportArn: job.arn,
        startTime: new Date(job.createdAt).toISOString(),
        endTime: new Date(endTime).toISOString(),
        tableArn: job.tableArn,
        tableId: job.tableId,
        exportTime: new Date(job.exportTime).toISOString(),
        s3Bucket: job.s3Bucket,
        s3Prefix: job.s3Prefix ?? null,
        s3SseAlgorithm: job.s3SseAlgorithm,
        s3SseKmsKeyId: null,
        manifestFilesS3Key: `${base}/manifest-files.json`,
        billedSizeBytes: bytes,
        itemCount,
        outputFormat: job.exportFormat,
        exportType: 'FULL_EXPORT',
      });
      await put(`${base}/manifest-summary.json`, summary);
      await put(`${base}/manifest-summary.checksum`, createHash('md5').update(summary).digest('hex'));
      await ctx.store.backups.putJob({ ...job, status: 'COMPLETED', endTime, itemCount, billedSizeBytes: bytes, manifest: `${base}/manifest-summary.json` });
    } catch (error) {
      const failure = failureOf(error);
      await ctx.store.backups.putJob({ ...job, status: 'FAILED', endTime: Date.now(), failureCode: failure.code, failureMessage: failure.message });
    } finally {
      await ctx.store.backups.dropSnapshot(job.arn);
    }
  }

  /** The text of one import object (gunzipped when the import says GZIP). */
  async function readObject(job: ImportJob, key: string): Promise<{ text: string; size: number }> {
    const out = await s3<{ Body?: unknown }>(job, 'GetObject', { Bucket: job.source.S3Bucket, Key: key });
    const raw = await bodyBytes(out.Body);
    return { text: (job.compression === 'GZIP' ? gunzipSync(raw) : raw).toString('utf8'), size: raw.length };
  }

  async function listKeys(job: ImportJob): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3<{ Contents?: { Key?: string }[]; IsTruncated?: boolean; NextContinuationToken?: string }>(job, 'ListObjectsV2', {
        Bucket: job.source.S3Bucket,
        ...(job.source.S3KeyPrefix ? { Prefix: job.source.S3KeyPrefix } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      });
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async function runImport(job: ImportJob): Promise<void> {
    const table = (await ctx.store.allTables()).find((t) => t.id === job.tableRowId);
    if (!table) return;
    let processed = 0;
    let imported = 0;
    let errors = 0;
    let bytes = 0;
    try {
      const types = Object.fromEntries(table.attributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
      for (const key of await listKeys(job)) {
        const { text, size } = await readObject(job, key);
        bytes += size;
        let items: Item[] = [];
        if (job.inputFormat === 'CSV') {
          const csv = job.inputFormatOptions?.Csv;
          const parsed = csvItems(parseCsv(text, csv?.Delimiter ?? ','), csv?.HeaderList, types);
          items = parsed.items;
          errors += parsed.errors;
          processed += parsed.errors;
        } else {
          for (const line of text.split('\n')) {
            if (line.trim() === '') continue;
            try {
              items.push(parseDynamoJsonLine(line));
            } catch {
              errors++;
              processed++;
            }
          }
        }
        for (let i = 0; i < items.length; i += IMPORT_BATCH) {
          const batch = items.slice(i, i + IMPORT_BATCH);
          const good = batch.flatMap((item) => {
            try {
              return [{ item, key: validated(() => (checkItemSize(item), encodeItemKey(table, item))) }];
            } catch {
              errors++;
              return [];
            }
          });
          processed += batch.length;
          await ctx.store.transaction(async (access) => {
            for (const { item, key } of good) await writeItem(access, table, key, await readItem(access, table, key), item);
          });
          imported += good.length;
        }
      }
      const done = await ctx.store.updateTable(table.id, (stored) => {
        delete stored.importing;
      });
      if (done) ctx.remember(done.table);
      await ctx.store.backups.putJob({
        ...job,
        status: 'COMPLETED',
        endTime: Date.now(),
        processedSizeBytes: bytes,
        processedItemCount: processed,
        importedItemCount: imported,
        errorCount: errors,
      });
    } catch (error) {
      const failure = failureOf(error);
      // A failed import leaves no table behind.
      await ctx.store.deleteTable(table.id, () => undefined);
      ctx.forget(table);
      await ctx.store.backups.putJob({
        ...job,
        status: 'FAILED',
        endTime: Date.now(),
        processedSizeBytes: bytes,
        processedItemCount: processed,
        importedItemCount: 0,
        errorCount: errors,
        failureCode: failure.code,
        failureMessage: failure.message,
      });
    }
  }

  const run = (job: JobRecord) => start(job, () => (job.kind === 'export' ? runExport(job as ExportJob) : runImport(job as ImportJob)));

  const operations = {
    async ExportTableToPointInTime(input: Input, req: RequestContext) {
      if (input.ExportType === 'INCREMENTAL_EXPORT') throw CommonErrors.notImplemented('ExportTableToPointInTime (INCREMENTAL_EXPORT)', 'DynamoDB');
      const arn = input.TableArn as string;
      const name = arn.split(':table/')[1]?.split('/')[0];
      const parts = arn.split(':');
      const table = name ? await ctx.find(parts[4] ?? req.accountId, parts[3] ?? req.region, name) : undefined;
      if (!table || table.accountId !== req.accountId) throw new TableNotFoundException(`Table not found: ${arn}`);
      const window = restorableWindow(table);
      if (!window) throw new PointInTimeRecoveryUnavailableException(`Point in time recovery is not enabled for table '${table.name}'`);
      const exportTime = input.ExportTime === undefined ? window.latest : toMs(input.ExportTime);
      if (!(exportTime >= window.earliest && exportTime <= window.latest)) {
        throw new InvalidExportTimeException(`Invalid export time: ${new Date(exportTime).toISOString()} is outside the point-in-time recovery window of table ${table.name}`);
      }
      const clientToken = (input.ClientToken as string | undefined) ?? randomUUID();
      if (input.ClientToken !== undefined) {
        const same = (await ctx.store.backups.listJobs('export', req.accountId, req.region)).find(
          (j) => (j as ExportJob).clientToken === clientToken && (j as ExportJob).tableArn === table.arn && Date.now() - j.createdAt < 8 * 3_600_000,
        );
        if (same) return { ExportDescription: exportDescription(same as ExportJob) };
      }
      const now = Date.now();
      const job: ExportJob = {
        arn: `${table.arn}/export/${jobId(now)}`,
        kind: 'export',
        accountId: req.accountId,
        region: req.region,
        createdAt: now,
        startedAt: now,
        status: 'IN_PROGRESS',
        tableArn: table.arn,
        tableId: table.tableId,
        tableRowId: table.id,
        exportTime,
        clientToken,
        s3Bucket: input.S3Bucket,
        ...(input.S3BucketOwner ? { s3BucketOwner: input.S3BucketOwner } : {}),
        ...(input.S3Prefix !== undefined ? { s3Prefix: input.S3Prefix } : {}),
        s3SseAlgorithm: input.S3SseAlgorithm ?? 'AES256',
        exportFormat: input.ExportFormat ?? 'DYNAMODB_JSON',
      };
      await ctx.store.backups.putJob(job);
      run(job);
      return { ExportDescription: exportDescription(job) };
    },

    async DescribeExport(input: Input, req: RequestContext) {
      const job = await ctx.store.backups.getJob(input.ExportArn);
      if (!job || job.kind !== 'export' || job.accountId !== req.accountId) throw new ExportNotFoundException(`Export not found: ${input.ExportArn}`);
      return { ExportDescription: exportDescription(job as ExportJob) };
    },

    async ListExports(input: Input, req: RequestContext) {
      let jobs = (await ctx.store.backups.listJobs('export', req.accountId, req.region)) as ExportJob[];
      if (input.TableArn) jobs = jobs.filter((j) => j.tableArn === input.TableArn);
      const max = (input.MaxResults as number | undefined) ?? 25;
      const from = input.NextToken ? Number.parseInt(String(input.NextToken), 10) : 0;
      if (!Number.isInteger(from) || from < 0) throw Errors.validation('Invalid NextToken');
      const page = jobs.slice(from, from + max);
      return {
        ExportSummaries: page.map((j) => ({ ExportArn: j.arn, ExportStatus: j.status, ExportType: 'FULL_EXPORT' })),
        ...(from + max < jobs.length ? { NextToken: String(from + max) } : {}),
      };
    },

    async ImportTable(input: Input, req: RequestContext) {
      if (input.InputFormat === 'ION') throw CommonErrors.notImplemented('ImportTable (InputFormat ION)', 'DynamoDB');
      if (input.InputCompressionType === 'ZSTD') throw CommonErrors.notImplemented('ImportTable (InputCompressionType ZSTD)', 'DynamoDB');
      const creation = input.TableCreationParameters as CreateTableInput;
      if (input.InputFormat !== 'CSV' && input.InputFormatOptions) throw Errors.validation('InputFormatOptions can only be specified for the CSV input format');
      const indexes = validated(() => {
        checkTableName(creation.TableName);
        return validateCreateTable(creation);
      });
      if (await ctx.findAny(req.accountId, req.region, creation.TableName)) throw new ResourceInUseException(`Table already exists: ${creation.TableName}`);
      const now = Date.now();
      const arn = `arn:aws:dynamodb:${req.region}:${req.accountId}:table/${creation.TableName}`;
      const importArn = `${arn}/import/${jobId(now)}`;
      const base: Omit<TableInfo, 'id'> = {
        name: creation.TableName,
        accountId: req.accountId,
        region: req.region,
        arn,
        tableId: randomUUID(),
        keySchema: creation.KeySchema,
        attributeDefinitions: creation.AttributeDefinitions,
        hashKey: creation.KeySchema[0]!.AttributeName,
        ...(creation.KeySchema[1] ? { rangeKey: creation.KeySchema[1].AttributeName } : {}),
        billingMode: creation.BillingMode ?? 'PROVISIONED',
        throughput: creation.ProvisionedThroughput ?? { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        createdAt: now,
        indexes,
        tags: {},
        deletionProtection: false,
        importing: importArn,
      };
      const table = await ctx.store.insertTable(base);
      if (!table) throw new ResourceInUseException(`Table already exists: ${creation.TableName}`);
      ctx.remember(table);
      const job: ImportJob = {
        arn: importArn,
        kind: 'import',
        accountId: req.accountId,
        region: req.region,
        createdAt: now,
        startedAt: now,
        status: 'IN_PROGRESS',
        tableArn: arn,
        tableId: table.tableId,
        tableRowId: table.id,
        ...(input.ClientToken ? { clientToken: input.ClientToken } : {}),
        source: input.S3BucketSource,
        inputFormat: input.InputFormat,
        ...(input.InputFormatOptions ? { inputFormatOptions: input.InputFormatOptions } : {}),
        compression: input.InputCompressionType ?? 'NONE',
        creation: input.TableCreationParameters,
      };
      await ctx.store.backups.putJob(job);
      run(job);
      return { ImportTableDescription: importDescription(job) };
    },

    async DescribeImport(input: Input, req: RequestContext) {
      const job = await ctx.store.backups.getJob(input.ImportArn);
      if (!job || job.kind !== 'import' || job.accountId !== req.accountId) throw new ImportNotFoundException(`Import not found: ${input.ImportArn}`);
      return { ImportTableDescription: importDescription(job as ImportJob) };
    },

    async ListImports(input: Input, req: RequestContext) {
      let jobs = (await ctx.store.backups.listJobs('import', req.accountId, req.region)) as ImportJob[];
      if (input.TableArn) jobs = jobs.filter((j) => j.tableArn === input.TableArn);
      const max = (input.PageSize as number | undefined) ?? 25;
      const from = input.NextToken ? Number.parseInt(String(input.NextToken), 10) : 0;
      if (!Number.isInteger(from) || from < 0) throw Errors.validation('Invalid NextToken');
      const page = jobs.slice(from, from + max);
      return {
        ImportSummaryList: page.map((j) => ({
          ImportArn: j.arn,
          ImportStatus: j.status,
          TableArn: j.tableArn,
          S3BucketSource: j.source,
          InputFormat: j.inputFormat,
          StartTime: new Date(j.createdAt),
          ...(j.endTime !== undefined ? { EndTime: new Date(j.endTime) } : {}),
        })),
        ...(from + max < jobs.length ? { NextToken: String(from + max) } : {}),
      };
    },
  };

  return {
    operations,
    settled: () => Promise.allSettled([...running.values()]),
    /** Housekeeping (leader): runs again the jobs in progress whose node did not finish them. */
    async housekeeping(now = Date.now()): Promise<void> {
      for (const kind of ['export', 'import'] as const) {
        for (const job of await ctx.store.backups.listJobs(kind)) {
          if (running.has(job.arn) || now - job.startedAt < JOB_STALE_MS) continue;
          const again = { ...job, startedAt: now };
          await ctx.store.backups.putJob(again);
          run(again);
        }
      }
    },
  };
}
