// Layers: published layer versions (zips stored and extracted like function code), listed and
// deleted; functions reference them by version ARN and the data plane merges them into `/opt`.
import type { RequestContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { LayerVersionRecord } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { lambdaTimestamp, type Scope } from './function-names.js';
import { page, readS3Object, scopeOf, type FunctionApi } from './function-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class LayerApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  async publishLayerVersion(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = layerName(input.LayerName, scope);
    const content = input.Content ?? {};
    let zip: Buffer;
    if (content.ZipFile) zip = Buffer.from(content.ZipFile as Uint8Array);
    else if (content.S3Bucket && content.S3Key) zip = await readS3Object(this.c, ctx, content.S3Bucket, content.S3Key, content.S3ObjectVersion);
    else throw LambdaErrors.invalidParameter('Please provide a source for layer content.');
    const stored = await this.c.code.put(zip);
    const layerArn = `arn:aws:lambda:${scope.region}:${scope.account}:layer:${name}`;
    const createdDate = lambdaTimestamp();
    const record = await this.c.store.transaction((t) =>
      t.addLayerVersion(scope, name, (version) => ({
        layerName: name,
        version,
        codeKey: stored.codeKey,
        LayerArn: layerArn,
        LayerVersionArn: `${layerArn}:${version}`,
        Description: input.Description ?? '',
        CreatedDate: createdDate,
        Version: version,
        ...(input.CompatibleRuntimes ? { CompatibleRuntimes: input.CompatibleRuntimes } : {}),
        ...(input.CompatibleArchitectures ? { CompatibleArchitectures: input.CompatibleArchitectures } : {}),
        ...(input.LicenseInfo ? { LicenseInfo: input.LicenseInfo } : {}),
        CodeSha256: stored.sha256,
        CodeSize: stored.size,
      })),
    );
    return this.#view(record, ctx.endpoint);
  }

  async getLayerVersion(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    return this.#view(await this.#require(scope, layerName(input.LayerName, scope), Number(input.VersionNumber)), ctx.endpoint);
  }

  async getLayerVersionByArn(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const match = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):(\d+)$/.exec(String(input.Arn));
    if (!match) throw LambdaErrors.invalidParameter(`Invalid layer version ARN: ${input.Arn}`);
    if (match[1] !== scope.region || match[2] !== scope.account) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return this.#view(await this.#require(scope, match[3]!, Number(match[4])), ctx.endpoint);
  }

  async listLayerVersions(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const all = (await this.c.store.listLayerVersions(scope, layerName(input.LayerName, scope)))
      .filter((l) => !input.CompatibleRuntime || l.CompatibleRuntimes?.includes(input.CompatibleRuntime))
      .filter((l) => !input.CompatibleArchitecture || l.CompatibleArchitectures?.includes(input.CompatibleArchitecture))
      .map(listItem);
    const { items, next } = page(all, input.Marker, input.MaxItems);
    return { LayerVersions: items, ...(next ? { NextMarker: next } : {}) };
  }

  async listLayers(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const latest = new Map<string, LayerVersionRecord>();
    for (const l of await this.c.store.listLayerVersions(scope)) {
      if (input.CompatibleRuntime && !l.CompatibleRuntimes?.includes(input.CompatibleRuntime)) continue;
      if (input.CompatibleArchitecture && !l.CompatibleArchitectures?.includes(input.CompatibleArchitecture)) continue;
      if (!latest.has(l.layerName)) latest.set(l.layerName, l);
    }
    const all = [...latest.values()].map((l) => ({ LayerName: l.layerName, LayerArn: l.LayerArn, LatestMatchingVersion: listItem(l) }));
    const { items, next } = page(all, input.Marker, input.MaxItems);
    return { Layers: items, ...(next ? { NextMarker: next } : {}) };
  }

  async deleteLayerVersion(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const scope = scopeOf(ctx);
    // Functions keep using the extracted layer; the blob stays while a version references it.
    const name = layerName(input.LayerName, scope);
    await this.c.store.transaction((t) => t.deleteLayerVersion(scope, name, Number(input.VersionNumber)));
    return {};
  }

  async #require(scope: Scope, name: string, version: number): Promise<LayerVersionRecord> {
    const layer = await this.c.store.getLayerVersion(scope, name, version);
    if (!layer) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return layer;
  }

  #view(l: LayerVersionRecord, endpoint: string): unknown {
    return {
      Content: { Location: this.functions.codeLocation(endpoint, l.codeKey), CodeSha256: l.CodeSha256, CodeSize: l.CodeSize },
      ...listItem(l),
    };
  }
}

function listItem(l: LayerVersionRecord): Record<string, unknown> {
  const { layerName: _n, version: _v, codeKey: _k, CodeSha256: _s, CodeSize: _z, ...rest } = l;
  void _n, _v, _k, _s, _z;
  return rest;
}

function layerName(text: string, scope: Scope): string {
  const match = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/.exec(String(text));
  if (match) {
    if (match[1] !== scope.region || match[2] !== scope.account) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return match[3]!;
  }
  if (!/^[a-zA-Z0-9-_]{1,140}$/.test(String(text))) throw LambdaErrors.invalidParameter(`Invalid layer name: ${text}`);
  return text;
}
