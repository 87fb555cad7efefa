// Aliases: named pointers to a version, optionally routing a share of invocations to a second
// version (RoutingConfig.AdditionalVersionWeights).
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { AliasRecord } from './lambda-records.js';
import type { LambdaReader } from './lambda-store.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, parseFunctionName, type Scope } from './function-names.js';
import { checkRevision, page, scopeOf, type FunctionApi } from './function-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class AliasApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  async createAlias(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const arn = `${functionArn(scope, name)}:${input.Name}`;
    const alias: AliasRecord = {
      functionName: name,
      name: input.Name,
      AliasArn: arn,
      Name: input.Name,
      FunctionVersion: input.FunctionVersion,
      Description: input.Description ?? '',
      ...(input.RoutingConfig?.AdditionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights } } : {}),
      RevisionId: randomUUID(),
    };
    await this.c.store.transaction(async (t) => {
      await this.functions.requireFunction(scope, name, t);
      if (/^\d+$/.test(input.Name) || input.Name === '$LATEST') throw LambdaErrors.invalidParameter(`Alias name cannot be a version: ${input.Name}`);
      await this.#checkTarget(scope, name, input.FunctionVersion, input.RoutingConfig, t);
      if (await t.getAlias(scope, name, input.Name)) throw LambdaErrors.resourceConflict(`Alias already exists: ${arn}`);
      await t.putAlias(scope, alias);
    });
    return view(alias);
  }

  async getAlias(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    return view(await this.requireAlias(scope, name, input.Name));
  }

  async updateAlias(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const alias = await this.c.store.transaction(async (t) => {
      const alias = await this.requireAlias(scope, name, input.Name, t);
      checkRevision(alias, input.RevisionId);
      const version = input.FunctionVersion ?? alias.FunctionVersion;
      const routing = input.RoutingConfig !== undefined ? input.RoutingConfig : alias.RoutingConfig;
      await this.#checkTarget(scope, name, version, routing, t);
      alias.FunctionVersion = version;
      if (input.Description !== undefined) alias.Description = input.Description;
      if (input.RoutingConfig !== undefined) {
        if (input.RoutingConfig?.AdditionalVersionWeights && Object.keys(input.RoutingConfig.AdditionalVersionWeights).length) alias.RoutingConfig = { AdditionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights };
        else delete alias.RoutingConfig;
      }
      alias.RevisionId = randomUUID();
      await t.putAlias(scope, alias);
      return alias;
    });
    return view(alias);
  }

  async deleteAlias(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    await this.c.store.transaction(async (t) => {
      await this.functions.requireFunction(scope, name, t);
      await t.deleteAlias(scope, name, input.Name);
    });
    return {};
  }

  async listAliases(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    await this.functions.requireFunction(scope, name);
    const all = (await this.c.store.listAliases(scope, name)).filter((a) => !input.FunctionVersion || a.FunctionVersion === input.FunctionVersion);
    const { items, next } = page(all.map(view), input.Marker, input.MaxItems);
    return { Aliases: items, ...(next ? { NextMarker: next } : {}) };
  }

  async requireAlias(scope: Scope, name: string, alias: string, r: LambdaReader = this.c.store): Promise<AliasRecord> {
    await this.functions.requireFunction(scope, name, r);
    const record = await r.getAlias(scope, name, alias);
    if (!record) throw LambdaErrors.resourceNotFound(`Alias not found: ${functionArn(scope, name)}:${alias}`);
    return record;
  }

  async #checkTarget(scope: Scope, name: string, version: string, routing: AliasRecord['RoutingConfig'] | undefined, r: LambdaReader): Promise<void> {
    await this.functions.requireVersion(scope, name, version, r);
    const weights = routing?.AdditionalVersionWeights;
    if (!weights || Object.keys(weights).length === 0) return;
    const entries = Object.entries(weights);
    if (entries.length > 1) throw LambdaErrors.invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
    if (version === '$LATEST') throw LambdaErrors.invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
    const [other, weight] = entries[0]!;
    if (other === version) throw LambdaErrors.invalidParameter(`Invalid function version ${other}. Function version ${other} is already included in routing configuration.`);
    if (!(weight >= 0 && weight <= 1)) throw LambdaErrors.invalidParameter('AdditionalVersionWeights must be between 0.0 and 1.0');
    if (other === '$LATEST') throw LambdaErrors.invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
    await this.functions.requireVersion(scope, name, other, r);
  }
}

function view(a: AliasRecord): unknown {
  const { functionName, name, ...rest } = a;
  void functionName, name;
  return rest;
}

/** Picks the version an invocation of the alias runs, by the routing weights. */
export function pickAliasVersion(alias: AliasRecord, random = Math.random()): string {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights;
  if (weights) {
    const [other, weight] = Object.entries(weights)[0] ?? [];
    if (other !== undefined && weight !== undefined && random < weight) return other;
  }
  return alias.FunctionVersion;
}
