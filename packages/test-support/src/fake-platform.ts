// A minimal PlatformContext and RequestContext for unit tests that drive a provider directly,
// without the edge (no HTTP, no auth). `handlers` stands in for other services' operations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedStorage } from '@atoll/storage';
import { DEFAULT_CONFIG, EventBus, type Logger, type PlatformContext, type RequestContext } from '@atoll/core';

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

export interface FakePlatform extends PlatformContext {
  readonly bus: EventBus;
  /** Removes the temporary data directory. */
  cleanup(): void;
  /** Handlers for `call`, by `service.operation`. */
  handlers: Map<string, (input: unknown, ctx: { accountId: string; region: string }) => unknown>;
}

export function fakePlatform(dataDir = mkdtempSync(join(tmpdir(), 'atoll-unit-'))): FakePlatform {
  const handlers = new Map<string, (input: unknown, ctx: { accountId: string; region: string }) => unknown>();
  return {
    config: { ...DEFAULT_CONFIG, dataDir },
    logger: silentLogger,
    bus: new EventBus(),
    auditTrail: { page: async () => ({ events: [] }) },
    storage: embeddedStorage({ dataDir }),
    endpoint: () => 'http://127.0.0.1:4566',
    handlers,
    async call<O>(service: string, operation: string, input: unknown, ctx: { accountId: string; region: string }): Promise<O> {
      const handler = handlers.get(`${service}.${operation}`);
      if (!handler) throw new Error(`no fake handler for ${service}.${operation}`);
      return (await handler(input, ctx)) as O;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export function requestContext(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req',
    traceId: 'trace',
    service: 'test',
    operation: 'Test',
    accountId: '000000000000',
    region: 'us-east-1',
    identity: { type: 'Root', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', principalId: '000000000000' },
    sourceIp: '127.0.0.1',
    userAgent: 'unit',
    endpoint: 'http://127.0.0.1:4566',
    headers: {},
    signal: new AbortController().signal,
    ...overrides,
  };
}
