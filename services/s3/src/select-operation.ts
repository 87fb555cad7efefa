// SelectObjectContent: runs an S3 Select query (select-sql.ts) over a CSV or JSON object (optionally
// GZIP-compressed) as it streams from the store, and answers an event stream the SDKs decode:
// Records events (batched output), Progress events when asked, then Stats and End. A failure after
// the stream began is an error message, as S3 sends. Parquet, BZIP2 and ScanRange are refused.
import { createGunzip } from 'node:zlib';
import { PassThrough, Readable } from 'node:stream';
import { CsvReader } from './csv-reader.js';
import { StringDecoder } from 'node:string_decoder';
import { serviceError, type OperationHandler, type RequestContext } from '@atoll/core';
import { encodeError, encodeEvent } from '@atoll/aws-protocol';
import { findObject } from './object-operations.js';
import type { S3Core } from './s3-core.js';
import { AggregateState, keeps, parseSelect, selectError, type Accessor, type SelectQuery, type Value } from './select-sql.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

/** Output is sent in Records events of about this size. */
const RECORDS_CHUNK = 64 * 1024;
/** A Progress event (when requested) after about this many bytes scanned. */
const PROGRESS_EVERY = 8 * 1024 * 1024;

interface CsvInput {
  FileHeaderInfo?: 'USE' | 'IGNORE' | 'NONE';
  Comments?: string;
  QuoteEscapeCharacter?: string;
  RecordDelimiter?: string;
  FieldDelimiter?: string;
  QuoteCharacter?: string;
}

interface Output {
  /** Whether records are written with field names (JSON), so SELECT * over CSV names its fields. */
  named: boolean;
  /** One output record: name/value pairs (projections, aggregates) or a record as read (SELECT *). */
  write(row: Value | [string, Value][]): string;
}

const PAIRS = new WeakSet<object>();
/** Marks a row as name/value pairs (projections), as opposed to a record as read. */
const pairs = (row: [string, Value][]): [string, Value][] => (PAIRS.add(row), row);
const isPairs = (row: unknown): row is [string, Value][] => typeof row === 'object' && row !== null && PAIRS.has(row);

function csvOutput(options: { QuoteFields?: string; QuoteEscapeCharacter?: string; RecordDelimiter?: string; FieldDelimiter?: string; QuoteCharacter?: string }): Output {
  const fieldDelimiter = options.FieldDelimiter ?? ',';
  const recordDelimiter = options.RecordDelimiter ?? '\n';
  const quote = options.QuoteCharacter ?? '"';
  const escape = options.QuoteEscapeCharacter ?? '"';
  const always = options.QuoteFields === 'ALWAYS';
  const format = (v: Value): string => {
    const text = v === null ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const needs = always || text.includes(fieldDelimiter) || text.includes(quote) || text.includes('\n') || text.includes('\r') || text.includes(recordDelimiter);
    return needs ? `${quote}${text.split(quote).join(`${escape}${quote}`)}${quote}` : text;
  };
  return {
    named: false,
    write(row) {
      const values: Value[] = isPairs(row)
        ? row.map((p) => p[1])
        : Array.isArray(row)
          ? row
          : row !== null && typeof row === 'object' && !(row instanceof Date)
            ? Object.values(row)
            : [row];
      return values.map(format).join(fieldDelimiter) + recordDelimiter;
    },
  };
}

function jsonOutput(options: { RecordDelimiter?: string }): Output {
  const delimiter = options.RecordDelimiter ?? '\n';
  return {
    named: true,
    write(row) {
      return JSON.stringify(isPairs(row) ? Object.fromEntries(row) : row) + delimiter;
    },
  };
}

/** A path lookup in a JSON value; unquoted names also match keys that differ in case. */
function jsonGet(root: Value, path: readonly (string | number)[], quoted: readonly boolean[]): Value {
  let v: Value = root;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object' || v instanceof Date) return null;
    const step = path[i]!;
    if (typeof step === 'number') {
      v = Array.isArray(v) ? (v[step] ?? null) : null;
      continue;
    }
    if (Array.isArray(v)) return null;
    const object = v as Record<string, Value>;
    if (Object.hasOwn(object, step)) v = object[step] ?? null;
    else if (!quoted[i]) {
      const lower = step.toLowerCase();
      const found = Object.keys(object).find((k) => k.toLowerCase() === lower);
      v = found === undefined ? null : (object[found] ?? null);
    } else v = null;
  }
  return v === undefined ? null : v;
}

export function selectOperations(core: S3Core): Record<string, OperationHandler> {
  return {
    async SelectObjectContent(input: Input, ctx: RequestContext) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetObject', input.Key);
      if (input.ExpressionType !== 'SQL') {
        throw serviceError('InvalidExpressionType', 400, 'The ExpressionType is invalid. Only SQL expressions are supported.');
      }
      if (typeof input.Expression !== 'string' || input.Expression.trim() === '') {
        throw serviceError('MissingRequiredParameter', 400, 'The SelectRequest entity is missing a required parameter: Expression.');
      }
      const serialization = (input.InputSerialization ?? {}) as { CSV?: CsvInput; JSON?: { Type?: string }; Parquet?: unknown; CompressionType?: string };
      const formats = ['CSV', 'JSON', 'Parquet'].filter((f) => (serialization as Record<string, unknown>)[f] !== undefined);
      if (formats.length !== 1) throw serviceError('InvalidRequestParameter', 400, 'The input serialization must name exactly one of CSV, JSON or Parquet.');
      if (serialization.Parquet !== undefined) throw serviceError('NotImplemented', 501, 'Parquet input to SelectObjectContent is not implemented by Atoll.');
      const compression = serialization.CompressionType ?? 'NONE';
      if (compression === 'BZIP2') throw serviceError('NotImplemented', 501, 'BZIP2 input to SelectObjectContent is not implemented by Atoll.');
      if (compression !== 'NONE' && compression !== 'GZIP') throw serviceError('InvalidCompressionFormat', 400, 'The file is not in a supported compression format. Only GZIP and BZIP2 are supported.');
      if (input.ScanRange !== undefined) throw serviceError('NotImplemented', 501, 'ScanRange in SelectObjectContent is not implemented by Atoll.');
      const outputSerialization = (input.OutputSerialization ?? {}) as { CSV?: Record<string, string>; JSON?: Record<string, string> };
      if ((outputSerialization.CSV === undefined) === (outputSerialization.JSON === undefined)) {
        throw serviceError('InvalidRequestParameter', 400, 'The output serialization must name exactly one of CSV or JSON.');
      }
      const jsonType = serialization.JSON?.Type ?? 'DOCUMENT';
      if (serialization.JSON && jsonType !== 'DOCUMENT' && jsonType !== 'LINES') throw serviceError('InvalidJsonType', 400, 'The JsonType is invalid. Only DOCUMENT and LINES are supported.');
      const query = parseSelect(input.Expression);
      const record = await findObject(core, bucket, core.keyBytes(input.Key), input.Key, undefined, 'GET');
      const raw = await core.body(record);
      const output = outputSerialization.CSV ? csvOutput(outputSerialization.CSV) : jsonOutput(outputSerialization.JSON!);
      const payload = new PassThrough({ highWaterMark: 256 * 1024 });
      void run(query, raw, serialization, output, payload, input.RequestProgress?.Enabled === true).catch((error: unknown) => {
        core.log.warn({ err: error }, 'S3 Select stream failed');
        payload.destroy(error as Error);
      });
      return { Payload: payload };
    },
  };
}

/** Scans the object and writes the event stream into `out`. */
async function run(
  query: SelectQuery,
  raw: Buffer | Readable,
  serialization: { CSV?: CsvInput; JSON?: { Type?: string }; CompressionType?: string },
  output: Output,
  out: PassThrough,
  progress: boolean,
): Promise<void> {
  let scanned = 0;
  let processed = 0;
  let returned = 0;
  let nextProgress = PROGRESS_EVERY;
  let pending: string[] = [];
  let pendingLength = 0;
  const source = Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
  source.on('data', (chunk: Buffer) => (scanned += chunk.length));
  const stream: Readable = serialization.CompressionType === 'GZIP' ? source.pipe(createGunzip()) : source;
  if (stream !== source) source.on('error', (error) => stream.destroy(error));

  const send = async (message: Buffer): Promise<void> => {
    if (out.destroyed) throw new Error('client went away');
    if (out.write(message)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  };
  const stats = (tag: 'Stats' | 'Progress') =>
    Buffer.from(`<${tag}><BytesScanned>${scanned}</BytesScanned><BytesProcessed>${processed}</BytesProcessed><BytesReturned>${returned}</BytesReturned></${tag}>`);
  const flush = async (): Promise<void> => {
    if (pendingLength === 0) return;
    const data = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    returned += data.length;
    await send(encodeEvent('Records', data, 'application/octet-stream'));
  };

  // Records are evaluated synchronously as each chunk is split; output waits in `pending`.
  const aggregate = query.aggregates.length > 0 ? new AggregateState(query.aggregates) : undefined;
  let emitted = 0;
  let stopped = false;
  const onRecord = (get: Accessor, star: () => Value): void => {
    if (stopped) return;
    if (query.where && !keeps(query.where(get))) return;
    if (query.limit !== undefined && emitted >= query.limit) {
      stopped = true;
      return;
    }
    emitted++;
    if (aggregate) aggregate.add(get);
    else {
      const text = query.star ? output.write(star()) : output.write(pairs(query.projections.map((p) => [p.name, p.evaluate(get)])));
      pending.push(text);
      pendingLength += text.length;
    }
  };
  const reader = serialization.CSV ? csvReader(serialization.CSV, onRecord, output.named) : jsonReader(serialization.JSON?.Type ?? 'DOCUMENT', query, onRecord);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      processed += chunk.length;
      reader.push(chunk);
      if (stopped) break;
      if (pendingLength >= RECORDS_CHUNK) await flush();
      if (progress && scanned >= nextProgress) {
        nextProgress = scanned + PROGRESS_EVERY;
        await send(encodeEvent('Progress', stats('Progress'), 'text/xml'));
      }
    }
    if (!stopped) reader.end();
    if (aggregate) {
      const text = output.write(pairs(aggregate.result()));
      pending.push(text);
      pendingLength += text.length;
    }
    await flush();
    if (progress) await send(encodeEvent('Progress', stats('Progress'), 'text/xml'));
    await send(encodeEvent('Stats', stats('Stats'), 'text/xml'));
    await send(encodeEvent('End'));
    out.end();
  } catch (error) {
    if (out.destroyed) return;
    const e = error as { code?: string; message?: string };
    const code = typeof e.code === 'string' && /^[A-Z]/.test(e.code) ? e.code : 'InternalError';
    out.end(encodeError(code, e.message ?? 'We encountered an internal error. Please try again.'));
  } finally {
    if (!source.destroyed) source.destroy();
    if (!stream.destroyed) stream.destroy();
  }
}

type RecordSink = (get: Accessor, star: () => Value) => void;

interface ChunkReader {
  push(chunk: Buffer): void;
  end(): void;
}

/** CSV records with their accessor: `_N` by position, header names (USE), case-insensitive unless quoted. */
function csvReader(options: CsvInput, sink: RecordSink, named: boolean): ChunkReader {
  const header = options.FileHeaderInfo ?? 'NONE';
  let names: string[] | undefined;
  let exact = new Map<string, number>();
  let folded = new Map<string, number>();
  let first = true;
  // Column references resolve the same way for every record: cached per path array.
  const resolved = new WeakMap<readonly (string | number)[], number>();
  const indexOf = (path: readonly (string | number)[], quoted: readonly boolean[]): number => {
    let index = resolved.get(path);
    if (index !== undefined) return index;
    const name = path[0]!;
    if (path.length !== 1) index = -1;
    else if (typeof name === 'number') index = name;
    else if (!quoted[0] && /^_\d+$/.test(name)) index = Number(name.slice(1)) - 1;
    else {
      index = exact.get(name) ?? (quoted[0] ? undefined : folded.get(name.toLowerCase()));
      if (index === undefined) {
        if (header !== 'USE') {
          throw selectError('InvalidColumnIndex', `The column name ${name} is not valid: without a header row, columns are named _1, _2, …`);
        }
        index = -1;
      }
    }
    resolved.set(path, index);
    return index;
  };
  const reader = new CsvReader(
    (fields) => {
      if (first) {
        first = false;
        if (header === 'USE') {
          names = fields;
          exact = new Map(fields.map((n, i) => [n, i]));
          folded = new Map(fields.map((n, i) => [n.toLowerCase(), i]));
          return;
        }
        if (header === 'IGNORE') return;
      }
      const fieldNames = names;
      sink(
        (path, quoted) => {
          const index = indexOf(path, quoted);
          return index < 0 ? null : (fields[index] ?? null);
        },
        // SELECT * keeps the fields as read (named by header, or _N, for JSON output).
        named ? () => Object.fromEntries(fields.map((f, i) => [fieldNames?.[i] ?? `_${i + 1}`, f])) : () => fields,
      );
    },
    {
      fieldDelimiter: options.FieldDelimiter,
      recordDelimiter: options.RecordDelimiter,
      quote: options.QuoteCharacter,
      escape: options.QuoteEscapeCharacter,
      comment: options.Comments,
    },
  );
  return { push: (chunk) => reader.push(chunk), end: () => reader.end() };
}

/** JSON LINES (one value a line) or DOCUMENT (whole values one after another, read whole). */
function jsonReader(type: string, query: SelectQuery, sink: RecordSink): ChunkReader {
  const onValue = (root: Value): void => {
    let target: Value = root;
    if (query.fromPath.length > 0) target = jsonGet(target, query.fromPath, query.fromPath.map(() => true));
    const items: Value[] = query.fromWildcard && Array.isArray(target) ? target : [target];
    for (const item of items) sink((path, quoted) => jsonGet(item, path, quoted), () => item);
  };
  const decoder = new StringDecoder('utf8');
  if (type === 'LINES') {
    let rest = '';
    const lines = (text: string, last: boolean): void => {
      const parts = text.split('\n');
      rest = last ? '' : parts.pop()!;
      for (const line of parts) if (line.trim() !== '') onValue(parseJson(line));
    };
    return { push: (chunk) => lines(rest + decoder.write(chunk), false), end: () => lines(rest + decoder.end(), true) };
  }
  const parts: string[] = [];
  return {
    push: (chunk) => void parts.push(decoder.write(chunk)),
    end: () => {
      parts.push(decoder.end());
      for (const value of jsonValues(parts.join(''))) onValue(value);
    },
  };
}

/** The top-level JSON values of a document, one after another. */
function* jsonValues(text: string): Generator<Value> {
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        yield parseJson(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  if (depth !== 0) throw selectError('JSONParsingError', 'Error parsing JSON file. Please check the file and try again.');
}

function parseJson(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    throw selectError('JSONParsingError', 'Error parsing JSON file. Please check the file and try again.');
  }
}
