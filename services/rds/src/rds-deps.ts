// What the RDS operation modules (instances, clusters, snapshots, replicas) share: the store, the engine host,
// and the provider's engine, port, credential and parameter-group helpers. The provider builds one
// `RdsDeps` and hands it to each module, so that the modules never reach into each other.
import type { RequestContext } from '@atoll/core';
import type { Tag } from '@atoll/aws-models/rds';
import type { EngineHost } from './engine-host.js';
import { instanceNotFound } from './rds-errors.js';
import type { RdsStore } from './rds-store.js';
import type { EngineFamily, EngineSettings, InstanceRecord } from './records.js';

export interface EngineChoice {
  family: EngineFamily;
  runtime: 'process' | 'pglite';
  engineVersion: string;
}

export interface MasterCredentials {
  username: string;
  password: string;
  managed: boolean;
  secretArn?: string;
}

export interface RdsDeps {
  readonly store: RdsStore;
  readonly host: EngineHost;
  /** The engine serving `engine`/`version`, or the documented refusal (thrown). */
  chooseEngine(engine: string, version: string | undefined): EngineChoice;
  /** A free port (or the requested one, checked); hold it until `releasePort` once the record is stored. */
  pickPort(requested: number | undefined): Promise<number>;
  releasePort(port: number): void;
  credentials(
    input: { MasterUsername?: string; MasterUserPassword?: string; ManageMasterUserPassword?: boolean },
    family: EngineFamily,
    ctx: RequestContext,
    id: string,
  ): Promise<MasterCredentials>;
  managedPassword(ctx: RequestContext, name: string, username: string): Promise<{ password: string; secretArn?: string }>;
  /** The parameters of a DB parameter group for an engine family (default groups have none). */
  groupParameters(ctx: RequestContext, name: string | undefined, family: EngineFamily): Promise<Record<string, string>>;
}

export function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) out[tag.Key] = tag.Value ?? '';
  return out;
}

export function page<T>(items: T[], maxRecords: number | undefined, marker: string | undefined): { items: T[]; marker?: string } {
  const size = Math.min(Math.max(maxRecords ?? 100, 20), 100);
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) || 0 : 0;
  const slice = items.slice(start, start + size);
  return { items: slice, marker: start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined };
}

export function baseSettings(
  family: EngineFamily,
  runtime: 'process' | 'pglite',
  engine: string,
  engineVersion: string,
  port: number,
  masterUsername: string,
  masterPassword: string,
  dbName: string | undefined,
): EngineSettings {
  return { engine, engineVersion, family, runtime, port, masterUsername, masterPassword, dbName, parameters: {} };
}

export async function findInstance(store: RdsStore, ctx: RequestContext, identifier: string): Promise<InstanceRecord> {
  const record = await store.instances.get(ctx.accountId, ctx.region, identifier.toLowerCase());
  if (!record) throw instanceNotFound(identifier);
  return record;
}
