// Per-function settings outside the configuration: resource policies, tags, reserved concurrency,
// asynchronous invocation settings, and the account's settings.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import { MIN_UNRESERVED, type LambdaContext } from './lambda-context.js';
import type { EventInvokeConfig, PolicyStatement } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, lambdaTimestamp, parseFunctionName, type Scope } from './function-names.js';
import { scopeOf, type FunctionApi } from './function-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class FunctionSettingsApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  // ---- Resource policies -------------------------------------------------------------------------

  addPermission(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    let statement!: PolicyStatement;
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, ref.name);
      if (qualifier !== '$LATEST') this.#requireQualifier(scope, ref.name, qualifier);
      const statements = fn.policies[qualifier] ?? [];
      if (input.RevisionId !== undefined && input.RevisionId !== fn.policyRevisions[qualifier]) {
        throw LambdaErrors.preconditionFailed('The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');
      }
      if (statements.some((s) => s.Sid === input.StatementId)) {
        throw LambdaErrors.resourceConflict(`The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
      }
      const principal = String(input.Principal);
      const condition: Record<string, Record<string, string>> = {};
      if (input.SourceArn) (condition.ArnLike ??= {})['AWS:SourceArn'] = input.SourceArn;
      if (input.SourceAccount) (condition.StringEquals ??= {})['AWS:SourceAccount'] = input.SourceAccount;
      if (input.PrincipalOrgID) (condition.StringEquals ??= {})['aws:PrincipalOrgID'] = input.PrincipalOrgID;
      if (input.FunctionUrlAuthType) (condition.StringEquals ??= {})['lambda:FunctionUrlAuthType'] = input.FunctionUrlAuthType;
      if (input.EventSourceToken) (condition.StringEquals ??= {})['lambda:EventSourceToken'] = input.EventSourceToken;
      statement = {
        Sid: input.StatementId,
        Effect: 'Allow',
        Principal: principal === '*' ? '*' : principal.includes('.amazonaws.com') ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
        Action: input.Action,
        Resource: qualifier === '$LATEST' ? fn.arn : `${fn.arn}:${qualifier}`,
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      };
      fn.policies[qualifier] = [...statements, statement];
      fn.policyRevisions[qualifier] = randomUUID();
      this.c.store.putFunction(scope, fn);
    });
    return { Statement: JSON.stringify(statement) };
  }

  removePermission(input: Input, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, ref.name);
      const statements = fn.policies[qualifier] ?? [];
      if (input.RevisionId !== undefined && input.RevisionId !== fn.policyRevisions[qualifier]) {
        throw LambdaErrors.preconditionFailed('The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');
      }
      if (!statements.some((s) => s.Sid === input.StatementId)) throw LambdaErrors.resourceNotFound(`Statement ${input.StatementId} is not found in resource policy.`);
      fn.policies[qualifier] = statements.filter((s) => s.Sid !== input.StatementId);
      if (fn.policies[qualifier]!.length === 0) delete fn.policies[qualifier];
      fn.policyRevisions[qualifier] = randomUUID();
      this.c.store.putFunction(scope, fn);
    });
    return {};
  }

  getPolicy(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const fn = this.functions.requireFunction(scope, ref.name);
    const statements = fn.policies[qualifier];
    if (!statements?.length) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
      RevisionId: fn.policyRevisions[qualifier],
    };
  }

  // ---- Tags --------------------------------------------------------------------------------------

  tagResource(input: Input, ctx: RequestContext): Record<string, never> {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, name);
      fn.tags = { ...fn.tags, ...(input.Tags ?? {}) };
      if (Object.keys(fn.tags).length > 50) throw LambdaErrors.invalidParameter('Number of tags exceeds resource tag limit.');
      this.c.store.putFunction(scope, fn);
    });
    return {};
  }

  untagResource(input: Input, ctx: RequestContext): Record<string, never> {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, name);
      for (const key of input.TagKeys ?? []) delete fn.tags[key];
      this.c.store.putFunction(scope, fn);
    });
    return {};
  }

  listTags(input: Input, ctx: RequestContext): unknown {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    return { Tags: this.functions.requireFunction(scope, name).tags };
  }

  // ---- Concurrency -------------------------------------------------------------------------------

  putFunctionConcurrency(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const wanted = Number(input.ReservedConcurrentExecutions);
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, name);
      const others = this.c.reservedSum(scope) - (fn.reservedConcurrency ?? 0);
      if (others + wanted > this.c.options.accountConcurrencyLimit - MIN_UNRESERVED) {
        throw LambdaErrors.invalidParameter(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`);
      }
      fn.reservedConcurrency = wanted;
      this.c.store.putFunction(scope, fn);
    });
    this.c.invalidateReserved(scope);
    return { ReservedConcurrentExecutions: wanted };
  }

  getFunctionConcurrency(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const fn = this.functions.requireFunction(scope, parseFunctionName(input.FunctionName, scope).name);
    return fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {};
  }

  deleteFunctionConcurrency(input: Input, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, name);
      delete fn.reservedConcurrency;
      this.c.store.putFunction(scope, fn);
    });
    this.c.invalidateReserved(scope);
    return {};
  }

  getAccountSettings(_input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const functions = this.c.store.listFunctions(scope);
    let total = 0;
    for (const fn of functions) for (const v of this.c.store.listVersions(scope, fn.name)) total += v.config.CodeSize;
    return {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: this.c.options.accountConcurrencyLimit,
        UnreservedConcurrentExecutions: this.c.options.accountConcurrencyLimit - this.c.reservedSum(scope),
      },
      AccountUsage: { TotalCodeSize: total, FunctionCount: functions.length },
    };
  }

  // ---- Asynchronous invocation settings --------------------------------------------------------

  putFunctionEventInvokeConfig(input: Input, ctx: RequestContext, merge = false): unknown {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    let config!: EventInvokeConfig;
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, ref.name);
      if (qualifier !== '$LATEST') this.#requireQualifier(scope, ref.name, qualifier);
      const previous = fn.eventInvokeConfigs[qualifier];
      if (merge && !previous) throw LambdaErrors.resourceNotFound(`The function ${fn.arn} doesn't have an EventInvokeConfig`);
      for (const dest of [input.DestinationConfig?.OnSuccess?.Destination, input.DestinationConfig?.OnFailure?.Destination]) {
        if (dest !== undefined && !/^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events):/.test(dest)) {
          throw LambdaErrors.invalidParameter(`The destination ARN ${dest} is invalid.`);
        }
      }
      config = {
        ...(merge ? previous : {}),
        ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
        ...(input.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
        ...(input.DestinationConfig !== undefined ? { DestinationConfig: input.DestinationConfig } : {}),
        LastModified: new Date().toISOString(),
      };
      fn.eventInvokeConfigs[qualifier] = config;
      this.c.store.putFunction(scope, fn);
    });
    return eventInvokeView(functionArn(scope, ref.name), qualifier, config);
  }

  getFunctionEventInvokeConfig(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const fn = this.functions.requireFunction(scope, ref.name);
    const config = fn.eventInvokeConfigs[qualifier];
    if (!config) throw LambdaErrors.resourceNotFound(`The function ${qualifier === '$LATEST' ? fn.arn : `${fn.arn}:${qualifier}`} doesn't have an EventInvokeConfig`);
    return eventInvokeView(fn.arn, qualifier, config);
  }

  deleteFunctionEventInvokeConfig(input: Input, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    this.c.store.transaction(() => {
      const fn = this.functions.requireFunction(scope, ref.name);
      if (!fn.eventInvokeConfigs[qualifier]) throw LambdaErrors.resourceNotFound(`The function ${fn.arn} doesn't have an EventInvokeConfig`);
      delete fn.eventInvokeConfigs[qualifier];
      this.c.store.putFunction(scope, fn);
    });
    return {};
  }

  listFunctionEventInvokeConfigs(input: Input, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const fn = this.functions.requireFunction(scope, parseFunctionName(input.FunctionName, scope).name);
    return { FunctionEventInvokeConfigs: Object.entries(fn.eventInvokeConfigs).map(([q, c]) => eventInvokeView(fn.arn, q, c)) };
  }

  #requireQualifier(scope: Scope, name: string, qualifier: string): void {
    if (/^\d+$/.test(qualifier)) this.functions.requireVersion(scope, name, qualifier);
    else if (!this.c.store.getAlias(scope, name, qualifier)) throw LambdaErrors.resourceNotFound(`Function not found: ${functionArn(scope, name)}:${qualifier}`);
  }

  #taggable(resource: string, ctx: RequestContext): { scope: Scope; name: string } {
    const scope = scopeOf(ctx);
    const match = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]+)$/.exec(String(resource ?? ''));
    if (!match) throw LambdaErrors.invalidParameter(`The resource ARN is not valid: ${resource}. Tags are supported on unqualified function ARNs.`);
    if (match[1] !== scope.region || match[2] !== scope.account) throw LambdaErrors.functionNotFound(resource);
    return { scope, name: match[3]! };
  }
}

function eventInvokeView(arn: string, qualifier: string, c: EventInvokeConfig): unknown {
  return {
    FunctionArn: qualifier === '$LATEST' ? arn : `${arn}:${qualifier}`,
    LastModified: new Date(c.LastModified),
    ...(c.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: c.MaximumRetryAttempts } : {}),
    ...(c.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: c.MaximumEventAgeInSeconds } : {}),
    ...(c.DestinationConfig ? { DestinationConfig: c.DestinationConfig } : {}),
  };
}

export { lambdaTimestamp };
