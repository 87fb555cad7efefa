// A provider under test without the edge: a fake platform context (temporary data directory,
// silent logger, recorded in-process calls) and request contexts, for calling operations directly.
import { embeddedStorage } from '@atoll/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EventBus, loadConfig, type CallContext, type PlatformContext, type RequestContext } from '@atoll/core';
import { S3Provider } from '../src/s3-provider.js';
import { requestContext, silentLogger } from '@atoll/test-support';


export interface Harness {
  provider: S3Provider;
  dataDir: string;
  calls: { service: string; operation: string; input: any; ctx: CallContext }[];
  /** Calls an operation as the root user of account 000000000000. */
  op<T = any>(name: string, input: Record<string, unknown>, ctx?: Partial<RequestContext>): Promise<T>;
  ctx(overrides?: Partial<RequestContext>): RequestContext;
  body(data: string | Buffer): Readable;
  read(stream: unknown): Promise<Buffer>;
  close(): Promise<void>;
}

export function harness(options: { dataDir?: string; callHandler?: (service: string, operation: string, input: any) => unknown } = {}): Harness {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'atoll-s3-'));
  const config = loadConfig([], {}, { dataDir, logLevel: 'silent' });
  const calls: Harness['calls'] = [];
  const platform: PlatformContext = {
    config,
    logger: silentLogger,
    bus: new EventBus(),
    auditTrail: { page: async () => ({ events: [] }) },
    storage: embeddedStorage({ dataDir }),
    endpoint: () => 'http://127.0.0.1:4566',
    async call<O>(service: string, operation: string, input: unknown, ctx: CallContext): Promise<O> {
      calls.push({ service, operation, input, ctx });
      if (options.callHandler) return (await options.callHandler(service, operation, input)) as O;
      if (operation === 'GetQueueUrl') return { QueueUrl: `http://127.0.0.1:4566/000000000000/${(input as { QueueName: string }).QueueName}` } as O;
      return {} as O;
    },
  };
  const provider = new S3Provider(platform, { lifecycleIntervalMs: 0 });
  provider.start();
  const ctx = (overrides: Partial<RequestContext> = {}): RequestContext => requestContext({ service: 's3', ...overrides });
  return {
    provider,
    dataDir,
    calls,
    async op(name, input, overrides) {
      const handler = provider.operations[name];
      if (!handler) throw new Error(`no operation ${name}`);
      return (await handler(input, ctx({ operation: name, ...overrides }))) as any;
    },
    ctx,
    body: (data) => Readable.from([Buffer.from(data)]),
    async read(stream) {
      if (Buffer.isBuffer(stream)) return stream;
      const chunks: Buffer[] = [];
      for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      return Buffer.concat(chunks);
    },
    async close() {
      await provider.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves to `code/status` of the ServiceError the promise rejects with, or `ok`. */
export async function errorOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return 'ok';
  } catch (error) {
    const e = error as { code?: string; status?: number; name?: string };
    return `${e.code ?? e.name}/${e.status}`;
  }
}
