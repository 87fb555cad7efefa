// Aliases: named pointers to a version, optionally routing a share of invocations to a second
// version (RoutingConfig.AdditionalVersionWeights).
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { AliasRecord } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, parseFunctionName, type Scope } from './function-names.js';
import { checkRevision, page, scopeOf, type FunctionApi } from './function-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class AliasApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  createAlias(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    this.functions.requireFunction(scope, name);
    if (/^\d+$/.test(input.Name) || input.Name === '$LATEST') throw LambdaErrors.invalidParameter(`Alias name cannot be a version: ${input.Name}`);
    this.#checkTarget(scope, name, input.FunctionVersion, input.RoutingConfig);
    const arn = `${functionArn(scope, name)}:${input.Name}`;
    if (this.c.store.getAlias(scope, name, input.Name)) throw LambdaErrors.resourceConflict(`Alias already exists: ${arn}`);
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
    this.c.store.putAlias(scope, alias);
    return view(alias);
  }

  getAlias(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    return view(this.requireAlias(scope, name, input.Name));
  }

  updateAlias(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const alias = this.requireAlias(scope, name, input.Name);
    checkRevision(alias, input.RevisionId);
    const version = input.FunctionVersion ?? alias.FunctionVersion;
    const routing = input.RoutingConfig !== undefined ? input.RoutingConfig : alias.RoutingConfig;
    this.#checkTarget(scope, name, version, routing);
    alias.FunctionVersion = version;
    if (input.Description !== undefined) alias.Description = input.Description;
    if (input.RoutingConfig !== undefined) {
      if (input.RoutingConfig?.AdditionalVersionWeights && Object.keys(input.RoutingConfig.AdditionalVersionWeights).length) alias.RoutingConfig = { AdditionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights };
      else delete alias.RoutingConfig;
    }
    alias.RevisionId = randomUUID();
    this.c.store.putAlias(scope, alias);
    return view(alias);
  }

  deleteAlias(input: Input, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    this.functions.requireFunction(scope, name);
    this.c.store.deleteAlias(scope, name, input.Name);
    return {};
  }

  listAliases(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    this.functions.requireFunction(scope, name);
    const all = this.c.store.listAliases(scope, name).filter((a) => !input.FunctionVersion || a.FunctionVersion === input.FunctionVersion);
    const { items, next } = page(all.map(view), input.Marker, input.MaxItems);
    return { Aliases: items, ...(next ? { NextMarker: next } : {}) };
  }

  requireAlias(scope: Scope, name: string, alias: string): AliasRecord {
    this.functions.requireFunction(scope, name);
    const record = this.c.store.getAlias(scope, name, alias);
    if (!record) throw LambdaErrors.resourceNotFound(`Alias not found: ${functionArn(scope, name)}:${alias}`);
    return record;
  }

  #checkTarget(scope: Scope, name: string, version: string, routing: AliasRecord['RoutingConfig'] | undefined): void {
    this.functions.requireVersion(scope, name, version);
    const weights = routing?.AdditionalVersionWeights;
    if (!weights || Object.keys(weights).length === 0) return;
    const entries = Object.entries(weights);
    if (entries.length > 1) throw LambdaErrors.invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
    if (version === '$LATEST') throw LambdaErrors.invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
    const [other, weight] = entries[0]!;
    if (other === version) throw LambdaErrors.invalidParameter(`Invalid function version ${other}. Function version ${other} is already included in routing configuration.`);
    if (!(weight >= 0 && weight <= 1)) throw LambdaErrors.invalidParameter('AdditionalVersionWeights must be between 0.0 and 1.0');
    if (other === '$LATEST') throw LambdaErrors.invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
    this.functions.requireVersion(scope, name, other);
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
