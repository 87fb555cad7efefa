// Per-function settings outside the configuration: resource policies, tags, reserved concurrency,
// asynchronous invocation settings, and the account's settings.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import { MIN_UNRESERVED, type LambdaContext } from './lambda-context.js';
import type { EventInvokeConfig, PolicyStatement } from './lambda-records.js';
import type { LambdaReader } from './lambda-store.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, lambdaTimestamp, parseFunctionName, type Scope } from './function-names.js';
import { scopeOf, type FunctionApi } from './function-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class FunctionSettingsApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  // ---- Resource policies -------------------------------------------------------------------------

  async addPermission(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const statement = await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, ref.name, t);
      if (qualifier !== '$LATEST') await this.#requireQualifier(scope, ref.name, qualifier, t);
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
      const statement: PolicyStatement = {
        Sid: input.StatementId,
        Effect: 'Allow',
        Principal: principal === '*' ? '*' : principal.includes('.amazonaws.com') ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
        Action: input.Action,
        Resource: qualifier === '$LATEST' ? fn.arn : `${fn.arn}:${qualifier}`,
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      };
      fn.policies[qualifier] = [...statements, statement];
      fn.policyRevisions[qualifier] = randomUUID();
      await t.putFunction(scope, fn);
      return statement;
    });
    return { Statement: JSON.stringify(statement) };
  }

  async removePermission(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, ref.name, t);
      const statements = fn.policies[qualifier] ?? [];
      if (input.RevisionId !== undefined && input.RevisionId !== fn.policyRevisions[qualifier]) {
        throw LambdaErrors.preconditionFailed('The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');
      }
      if (!statements.some((s) => s.Sid === input.StatementId)) throw LambdaErrors.resourceNotFound(`Statement ${input.StatementId} is not found in resource policy.`);
      fn.policies[qualifier] = statements.filter((s) => s.Sid !== input.StatementId);
      if (fn.policies[qualifier]!.length === 0) delete fn.policies[qualifier];
      fn.policyRevisions[qualifier] = randomUUID();
      await t.putFunction(scope, fn);
    });
    return {};
  }

  async getPolicy(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const fn = await this.functions.requireFunction(scope, ref.name);
    const statements = fn.policies[qualifier];
    if (!statements?.length) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
      RevisionId: fn.policyRevisions[qualifier],
    };
  }

  // ---- Tags --------------------------------------------------------------------------------------

  async tagResource(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, name, t);
      fn.tags = { ...fn.tags, ...(input.Tags ?? {}) };
      if (Object.keys(fn.tags).length > 50) throw LambdaErrors.invalidParameter('Number of tags exceeds resource tag limit.');
      await t.putFunction(scope, fn);
    });
    return {};
  }

  async untagResource(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, name, t);
      for (const key of input.TagKeys ?? []) delete fn.tags[key];
      await t.putFunction(scope, fn);
    });
    return {};
  }

  async listTags(input: Input, ctx: RequestContext): Promise<unknown> {
    const { scope, name } = this.#taggable(input.Resource, ctx);
    return { Tags: (await this.functions.requireFunction(scope, name)).tags };
  }

  // ---- Concurrency -------------------------------------------------------------------------------

  async putFunctionConcurrency(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const wanted = Number(input.ReservedConcurrentExecutions);
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, name, t);
      let others = 0;
      for (const other of await t.listFunctions(scope)) if (other.name !== name) others += other.reservedConcurrency ?? 0;
      if (others + wanted > this.c.options.accountConcurrencyLimit - MIN_UNRESERVED) {
        throw LambdaErrors.invalidParameter(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`);
      }
      fn.reservedConcurrency = wanted;
      await t.putFunction(scope, fn);
    });
    return { ReservedConcurrentExecutions: wanted };
  }

  async getFunctionConcurrency(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const fn = await this.functions.requireFunction(scope, parseFunctionName(input.FunctionName, scope).name);
    return fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {};
  }

  async deleteFunctionConcurrency(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, name, t);
      delete fn.reservedConcurrency;
      await t.putFunction(scope, fn);
    });
    return {};
  }

  async getAccountSettings(_input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const functions = await this.c.store.listFunctions(scope);
    let total = 0;
    for (const v of await this.c.store.listScopeVersions(scope)) total += v.config.CodeSize;
    return {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: this.c.options.accountConcurrencyLimit,
        UnreservedConcurrentExecutions: this.c.options.accountConcurrencyLimit - (await this.c.store.reservedSum(scope)),
      },
      AccountUsage: { TotalCodeSize: total, FunctionCount: functions.length },
    };
  }

  // ---- Asynchronous invocation settings --------------------------------------------------------

  async putFunctionEventInvokeConfig(input: Input, ctx: RequestContext, merge = false): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const config = await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, ref.name, t);
      if (qualifier !== '$LATEST') await this.#requireQualifier(scope, ref.name, qualifier, t);
      const previous = fn.eventInvokeConfigs[qualifier];
      if (merge && !previous) throw LambdaErrors.resourceNotFound(`The function ${fn.arn} doesn't have an EventInvokeConfig`);
      for (const dest of [input.DestinationConfig?.OnSuccess?.Destination, input.DestinationConfig?.OnFailure?.Destination]) {
        if (dest !== undefined && !/^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events):/.test(dest)) {
          throw LambdaErrors.invalidParameter(`The destination ARN ${dest} is invalid.`);
        }
      }
      const config: EventInvokeConfig = {
        ...(merge ? previous : {}),
        ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
        ...(input.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
        ...(input.DestinationConfig !== undefined ? { DestinationConfig: input.DestinationConfig } : {}),
        LastModified: new Date().toISOString(),
      };
      fn.eventInvokeConfigs[qualifier] = config;
      await t.putFunction(scope, fn);
      return config;
    });
    return eventInvokeView(functionArn(scope, ref.name), qualifier, config);
  }

  async getFunctionEventInvokeConfig(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    const fn = await this.functions.requireFunction(scope, ref.name);
    const config = fn.eventInvokeConfigs[qualifier];
    if (!config) throw LambdaErrors.resourceNotFound(`The function ${qualifier === '$LATEST' ? fn.arn : `${fn.arn}:${qualifier}`} doesn't have an EventInvokeConfig`);
    return eventInvokeView(fn.arn, qualifier, config);
  }

  async deleteFunctionEventInvokeConfig(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier ?? '$LATEST';
    await this.c.store.transaction(async (t) => {
      const fn = await this.functions.requireFunction(scope, ref.name, t);
      if (!fn.eventInvokeConfigs[qualifier]) throw LambdaErrors.resourceNotFound(`The function ${fn.arn} doesn't have an EventInvokeConfig`);
      delete fn.eventInvokeConfigs[qualifier];
      await t.putFunction(scope, fn);
    });
    return {};
  }

  async listFunctionEventInvokeConfigs(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const fn = await this.functions.requireFunction(scope, parseFunctionName(input.FunctionName, scope).name);
    return { FunctionEventInvokeConfigs: Object.entries(fn.eventInvokeConfigs).map(([q, c]) => eventInvokeView(fn.arn, q, c)) };
  }

  async #requireQualifier(scope: Scope, name: string, qualifier: string, r: LambdaReader): Promise<void> {
    if (/^\d+$/.test(qualifier)) await this.functions.requireVersion(scope, name, qualifier, r);
    else if (!(await r.getAlias(scope, name, qualifier))) throw LambdaErrors.resourceNotFound(`Function not found: ${functionArn(scope, name)}:${qualifier}`);
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
