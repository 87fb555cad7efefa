// A PlatformContext for driving EcsProvider without the edge: a temporary data directory and an
// in-memory stand-in for ELBv2's public target operations that records every call.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, EventBus, serviceError, type PlatformContext, type RequestContext } from '@atoll/core';
import { embeddedStorage } from '@atoll/storage';
import { requestContext as sharedRequestContext, silentLogger, tempDir } from '@atoll/test-support';

export interface ElbCall {
  operation: string;
  input: Record<string, any>;
  at: number;
}


export function fakePlatform(dataDir = tempDir('atoll-ecs-')): PlatformContext & { elbCalls: ElbCall[]; dataDir: string; deregistrationDelay: number } {
  const elbCalls: ElbCall[] = [];
  const platform = {
    dataDir,
    elbCalls,
    deregistrationDelay: 0,
    config: { ...DEFAULT_CONFIG, dataDir },
    logger: silentLogger,
    bus: new EventBus(),
    auditTrail: { page: async () => ({ events: [] }) },
    storage: embeddedStorage({ dataDir }),
    endpoint: () => 'http://127.0.0.1:4566',
    async call<O>(service: string, operation: string, input: unknown): Promise<O> {
      if (service !== 'elbv2') throw serviceError('NotImplemented', 501, `${service} is not served`);
      const i = input as Record<string, any>;
      elbCalls.push({ operation, input: i, at: Date.now() });
      switch (operation) {
        case 'DescribeTargetHealth':
          return { TargetHealthDescriptions: [{ Target: i.Targets[0], TargetHealth: { State: 'healthy' } }] } as O;
        case 'DescribeTargetGroupAttributes':
          return { Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(platform.deregistrationDelay) }] } as O;
        case 'DescribeTargetGroups':
          if (String(i.TargetGroupArns?.[0]).includes('missing')) throw serviceError('TargetGroupNotFound', 400, 'One or more target groups not found');
          return { TargetGroups: [] } as O;
        default:
          return {} as O;
      }
    },
  };
  return platform;
}

export function requestContext(overrides: Partial<RequestContext> = {}): RequestContext {
  return sharedRequestContext({ service: 'ecs', ...overrides });
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
