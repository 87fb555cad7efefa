// How the console acts: every call is an ordinary AWS request, built and SigV4-signed by the official
// SDK v3 client with the signed-in session's keys and sent over loopback HTTP to this platform's own
// edge. The edge authenticates it, authorizes it with IAM and records it in the audit trail as any
// other call; the console has no other way in. Errors come back as the SDK read them (code, status,
// message), and the console shows them verbatim.
import { createHash } from 'node:crypto';
import type { ConsoleCredentials } from './console-session.js';

const MAX_CLIENTS = 64;

/** The services the console may call: SDK package and client class. */
const CLIENTS: Record<string, { pkg: string; client: string; extra?: Record<string, unknown> }> = {
  sqs: { pkg: '@aws-sdk/client-sqs', client: 'SQSClient' },
  sns: { pkg: '@aws-sdk/client-sns', client: 'SNSClient' },
  s3: { pkg: '@aws-sdk/client-s3', client: 'S3Client', extra: { forcePathStyle: true } },
  dynamodb: { pkg: '@aws-sdk/client-dynamodb', client: 'DynamoDBClient' },
  lambda: { pkg: '@aws-sdk/client-lambda', client: 'LambdaClient' },
  ecs: { pkg: '@aws-sdk/client-ecs', client: 'ECSClient' },
  elbv2: { pkg: '@aws-sdk/client-elastic-load-balancing-v2', client: 'ElasticLoadBalancingV2Client' },
  iam: { pkg: '@aws-sdk/client-iam', client: 'IAMClient' },
  sts: { pkg: '@aws-sdk/client-sts', client: 'STSClient' },
  cloudtrail: { pkg: '@aws-sdk/client-cloudtrail', client: 'CloudTrailClient' },
  cloudwatch: { pkg: '@aws-sdk/client-cloudwatch', client: 'CloudWatchClient' },
  logs: { pkg: '@aws-sdk/client-cloudwatch-logs', client: 'CloudWatchLogsClient' },
};

export const CONSOLE_SERVICES = Object.keys(CLIENTS);

/** An AWS error as the console shows it. */
export class ConsoleCallError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type SdkModule = Record<string, unknown>;
type SdkClient = { send(command: unknown, options?: unknown): Promise<Record<string, unknown>>; destroy(): void };

export class ConsoleAws {
  readonly #endpoint: () => string;
  readonly #region: string;
  readonly #modules = new Map<string, Promise<SdkModule>>();
  /** Clients by key pair and service, reused across calls (their keep-alive connections too). */
  readonly #clients = new Map<string, SdkClient>();

  constructor(endpoint: () => string, region: string) {
    this.#endpoint = endpoint;
    this.#region = region;
  }

  async module(service: string): Promise<SdkModule> {
    const entry = CLIENTS[service];
    if (!entry) throw new ConsoleCallError('UnknownService', 400, `The console does not call ${service}`);
    let loaded = this.#modules.get(service);
    if (!loaded) {
      loaded = import(entry.pkg) as Promise<SdkModule>;
      this.#modules.set(service, loaded);
      loaded.catch(() => this.#modules.delete(service));
    }
    return loaded;
  }

  async client(service: string, credentials: ConsoleCredentials): Promise<{ client: SdkClient; mod: SdkModule }> {
    const mod = await this.module(service);
    const cacheKey = `${service}\n${credentials.accessKeyId}\n${createHash('sha256').update(credentials.secretAccessKey).update(credentials.sessionToken ?? '').digest('base64')}`;
    const cached = this.#clients.get(cacheKey);
    if (cached) {
      // Most recently used last: the oldest client is the one evicted.
      this.#clients.delete(cacheKey);
      this.#clients.set(cacheKey, cached);
      return { client: cached, mod };
    }
    const entry = CLIENTS[service]!;
    const Client = mod[entry.client] as new (config: unknown) => SdkClient;
    const client = new Client({
      endpoint: this.#endpoint(),
      region: this.#region,
      credentials,
      maxAttempts: 1,
      ...entry.extra,
    });
    this.#clients.set(cacheKey, client);
    if (this.#clients.size > MAX_CLIENTS) {
      const [oldestKey, oldest] = this.#clients.entries().next().value as [string, SdkClient];
      this.#clients.delete(oldestKey);
      oldest.destroy();
    }
    return { client, mod };
  }

  /** Closes every cached client (the platform is stopping). */
  close(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  /** Calls `service`'s `operation` with the session's keys; resolves with the output (no $metadata). */
  async call(credentials: ConsoleCredentials, service: string, operation: string, input: unknown): Promise<Record<string, unknown>> {
    if (!/^[A-Z][A-Za-z0-9]{1,80}$/.test(operation)) throw new ConsoleCallError('ValidationError', 400, `${operation} is not an operation name`);
    const { client, mod } = await this.client(service, credentials);
    const Command = mod[`${operation}Command`] as (new (input: unknown) => unknown) | undefined;
    if (typeof Command !== 'function') {
      throw new ConsoleCallError('UnknownOperationException', 400, `Unknown operation ${operation} for ${service}`);
    }
    try {
      const output = await client.send(new Command(prepareInput(service, operation, input ?? {})));
      delete output.$metadata;
      return await normalizeOutput(output);
    } catch (error) {
      throw asCallError(error);
    }
  }
}

/** Payloads the console sends as text become the bytes the SDK expects. */
function prepareInput(service: string, operation: string, input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const copy = { ...(input as Record<string, unknown>) };
  if (service === 'lambda' && operation === 'Invoke' && typeof copy.Payload === 'string') copy.Payload = new TextEncoder().encode(copy.Payload);
  return copy;
}

/** Bytes become text, streams are read, dates become ISO strings, LogResult is decoded. */
async function normalizeOutput(value: unknown): Promise<Record<string, unknown>> {
  const out = (await normalize(value)) as Record<string, unknown>;
  if (typeof out.LogResult === 'string') out.LogResult = Buffer.from(out.LogResult, 'base64').toString('utf8');
  return out;
}

async function normalize(value: unknown): Promise<unknown> {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return Promise.all(value.map(normalize));
  if (value && typeof value === 'object') {
    const maybeStream = value as { transformToString?: () => Promise<string> };
    if (typeof maybeStream.transformToString === 'function') return maybeStream.transformToString();
    if (value instanceof Set) return Promise.all([...value].map(normalize));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await normalize(v);
    return out;
  }
  return value;
}

export function asCallError(error: unknown): ConsoleCallError {
  if (error instanceof ConsoleCallError) return error;
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) {
    // No answer from the edge: a network failure, not an AWS error.
    return new ConsoleCallError('NetworkingError', 502, `The platform could not be reached: ${e.message ?? String(error)}`);
  }
  return new ConsoleCallError(e.Code ?? e.name ?? 'UnknownError', status, e.message ?? 'Unknown error');
}
