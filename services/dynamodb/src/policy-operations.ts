// Resource-based policies of tables and streams (PutResourcePolicy, GetResourcePolicy,
// DeleteResourcePolicy: revision ids, ExpectedRevisionId, validation), enforced by the edge's
// authorize step through the provider's `resourcePolicy` (an index is governed by its table's
// policy, as in DynamoDB); and contributor insights, recorded per table and index.
import type { RequestContext } from '@atoll/core';
import { PolicyNotFoundException } from '@atoll/aws-models/dynamodb';
import type { DynamoDbContext } from './dynamodb-context.js';
import { Errors } from './errors.js';
import type { StoredPolicy, TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** DynamoDB's limit on a resource-based policy, whitespace included. */
export const MAX_POLICY_BYTES = 20 * 1024;

interface ParsedArn {
  accountId: string;
  region: string;
  table: string;
  /** Set for a stream ARN (`…/stream/<label>`). */
  stream?: string;
}

/** A table, index or stream ARN of DynamoDB; undefined for anything else. */
export function parseResourceArn(arn: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:dynamodb:([^:]+):(\d{12}):table\/([^/]+)(?:\/(stream|index)\/(.+))?$/.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, accountId: m[2]!, table: m[3]!, ...(m[4] === 'stream' ? { stream: m[5]! } : {}) };
}

/**
 * Checks a policy document as DynamoDB requires (JSON, at most 20 KB, statements with an Effect,
 * a Principal and actions); throws ValidationException naming the problem.
 */
export function checkPolicyDocument(text: string): void {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_POLICY_BYTES) throw Errors.validation(`Policy document size ${size} exceeds the maximum allowed size of ${MAX_POLICY_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw Errors.validation('Invalid policy document: the policy is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw Errors.validation('Invalid policy document: the policy must be a JSON object');
  const raw = (doc as Input).Statement;
  const statements = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : [];
  if (statements.length === 0) throw Errors.validation('Invalid policy document: the policy must contain at least one statement');
  for (const s of statements as Input[]) {
    if (!s || typeof s !== 'object') throw Errors.validation('Invalid policy document: a statement must be a JSON object');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw Errors.validation('Invalid policy document: a statement must have an Effect of Allow or Deny');
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw Errors.validation('Invalid policy document: a statement must have a Principal');
    if (s.Action === undefined && s.NotAction === undefined) throw Errors.validation('Invalid policy document: a statement must have an Action');
  }
}

/** A new revision id: a string of digits that grows with time, as DynamoDB's do. */
function revisionId(previous: string | undefined): string {
  const now = BigInt(Date.now()) * 1000n;
  const last = previous && /^\d+$/.test(previous) ? BigInt(previous) : 0n;
  return String(now > last ? now : last + 1n);
}

export function createPolicyOperations(ctx: DynamoDbContext) {
  const notFound = (arn: string) => Errors.notFound(`Requested resource not found: ${arn}`);
  const noPolicy = (arn: string) => new PolicyNotFoundException(`Resource-based policy not found for the provided ResourceArn: ${arn}`);

  /** The table an ARN names (a stream ARN: only while it is the table's stream). */
  async function target(arn: string, req: RequestContext): Promise<{ table: TableInfo; stream: boolean }> {
    const parsed = parseResourceArn(arn);
    if (!parsed) throw Errors.validation(`Invalid ResourceArn provided as input ${arn}`);
    if (parsed.accountId !== req.accountId || parsed.region !== req.region) throw notFound(arn);
    const table = await ctx.findAny(parsed.accountId, parsed.region, parsed.table);
    if (!table || (parsed.stream !== undefined && table.stream?.arn !== arn)) throw notFound(arn);
    return { table, stream: parsed.stream !== undefined };
  }

  /** Changes one policy of a stored table atomically; `fn` returns the new policy (undefined: none). */
  async function changePolicy<R>(table: TableInfo, stream: boolean, arn: string, fn: (current: StoredPolicy | undefined) => { next: StoredPolicy | undefined; result: R }): Promise<R> {
    const done = await ctx.store.updateTable(table.id, (stored) => {
      const { next, result } = fn(stream ? stored.streamPolicy : stored.policy);
      if (stream) {
        if (next) stored.streamPolicy = next;
        else delete stored.streamPolicy;
      } else if (next) stored.policy = next;
      else delete stored.policy;
      return result;
    });
    if (!done) {
      ctx.forget(table);
      throw notFound(arn);
    }
    ctx.remember(done.table);
    return done.result;
  }

  return {
    async PutResourcePolicy(input: Input, req: RequestContext) {
      const arn = input.ResourceArn as string;
      const { table, stream } = await target(arn, req);
      checkPolicyDocument(input.Policy);
      const expected = input.ExpectedRevisionId as string | undefined;
      const revision = await changePolicy(table, stream, arn, (current) => {
        if (expected !== undefined) {
          if (expected === 'NO_POLICY' ? current !== undefined : current?.revisionId !== expected) {
            throw new PolicyNotFoundException(`Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id ${expected}, but the policy associated to target table ${table.name} has revision id ${current?.revisionId ?? 'NO_POLICY'}.`);
          }
        }
        // Idempotent: the same document keeps its revision.
        if (current && current.text === input.Policy) return { next: current, result: current.revisionId };
        const next = { text: input.Policy as string, revisionId: revisionId(current?.revisionId) };
        return { next, result: next.revisionId };
      });
      return { RevisionId: revision };
    },

    async GetResourcePolicy(input: Input, req: RequestContext) {
      const arn = input.ResourceArn as string;
      const { table, stream } = await target(arn, req);
      const policy = stream ? table.streamPolicy : table.policy;
      if (!policy) throw noPolicy(arn);
      return { Policy: policy.text, RevisionId: policy.revisionId };
    },

    async DeleteResourcePolicy(input: Input, req: RequestContext) {
      const arn = input.ResourceArn as string;
      const { table, stream } = await target(arn, req);
      const expected = input.ExpectedRevisionId as string | undefined;
      const revision = await changePolicy(table, stream, arn, (current) => {
        if (!current) throw noPolicy(arn);
        if (expected !== undefined && current.revisionId !== expected) {
          throw new PolicyNotFoundException(`Resource-based policy not found for the provided ResourceArn: Requested delete for policy with revision id ${expected}, but the policy associated to target table ${table.name} has revision id ${current.revisionId}.`);
        }
        return { next: undefined, result: current.revisionId };
      });
      return { RevisionId: revision };
    },

    async UpdateContributorInsights(input: Input, req: RequestContext) {
      const found = await ctx.findAny(req.accountId, req.region, input.TableName);
      if (!found) throw Errors.notFound(`Requested resource not found: Table: ${input.TableName} not found`);
      const index = (input.IndexName as string | undefined) ?? '';
      const enable = input.ContributorInsightsAction === 'ENABLE';
      const mode = (input.ContributorInsightsMode as string | undefined) ?? 'ACCESSED_AND_THROTTLED_KEYS';
      const done = await ctx.store.updateTable(found.id, (table) => {
        if (index && !table.indexes.some((i) => i.name === index)) throw Errors.notFound(`Requested resource not found: Index: ${index} not found`);
        table.insights = { ...table.insights, [index]: { enabled: enable, at: Date.now(), mode } };
      });
      if (!done) throw Errors.notFound(`Requested resource not found: Table: ${input.TableName} not found`);
      ctx.remember(done.table);
      return {
        TableName: found.name,
        ...(index ? { IndexName: index } : {}),
        ContributorInsightsStatus: enable ? 'ENABLING' : 'DISABLING',
      };
    },

    async DescribeContributorInsights(input: Input, req: RequestContext) {
      const table = await ctx.findAny(req.accountId, req.region, input.TableName);
      if (!table) throw Errors.notFound(`Requested resource not found: Table: ${input.TableName} not found`);
      const index = (input.IndexName as string | undefined) ?? '';
      if (index && !table.indexes.some((i) => i.name === index)) throw Errors.notFound(`Requested resource not found: Index: ${index} not found`);
      const state = table.insights?.[index];
      const subject = index ? `${table.name}-${index}` : table.name;
      return {
        TableName: table.name,
        ...(index ? { IndexName: index } : {}),
        ContributorInsightsStatus: state?.enabled ? 'ENABLED' : 'DISABLED',
        ...(state
          ? {
              LastUpdateDateTime: new Date(state.at),
              ...(state.enabled
                ? {
                    ContributorInsightsMode: state.mode,
                    ContributorInsightsRuleList: [
                      `DynamoDBContributorInsights-PKC-${subject}-${table.createdAt}`,
                      `DynamoDBContributorInsights-PKT-${subject}-${table.createdAt}`,
                      ...(table.rangeKey ? [`DynamoDBContributorInsights-SKC-${subject}-${table.createdAt}`, `DynamoDBContributorInsights-SKT-${subject}-${table.createdAt}`] : []),
                    ],
                  }
                : {}),
            }
          : {}),
      };
    },

    async ListContributorInsights(input: Input, req: RequestContext) {
      const tables = input.TableName
        ? [await ctx.findAny(req.accountId, req.region, input.TableName)].filter((t): t is TableInfo => t !== undefined)
        : (await ctx.store.tables(req.accountId, req.region)).sort((a, b) => (a.name < b.name ? -1 : 1));
      if (input.TableName && tables.length === 0) throw Errors.notFound(`Requested resource not found: Table: ${input.TableName} not found`);
      const all: Record<string, unknown>[] = [];
      for (const table of tables) {
        for (const [index, state] of Object.entries(table.insights ?? {})) {
          all.push({
            TableName: table.name,
            ...(index ? { IndexName: index } : {}),
            ContributorInsightsStatus: state.enabled ? 'ENABLED' : 'DISABLED',
            ...(state.enabled ? { ContributorInsightsMode: state.mode } : {}),
          });
        }
      }
      const max = (input.MaxResults as number | undefined) ?? 100;
      const start = input.NextToken ? Number.parseInt(String(input.NextToken), 10) : 0;
      if (!Number.isInteger(start) || start < 0) throw Errors.validation('Invalid NextToken');
      const page = all.slice(start, start + max);
      return { ContributorInsightsSummaries: page, ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
    },
  };
}

/**
 * The resource policy governing `arn` for the edge's authorize step: a table's (also for its
 * indexes) or a stream's. Synchronous when the table is cached.
 */
export function resourcePolicyOf(ctx: DynamoDbContext, arn: string): string | undefined | Promise<string | undefined> {
  const parsed = parseResourceArn(arn);
  if (!parsed) return undefined;
  const pick = (table: TableInfo | undefined) => {
    if (!table) return undefined;
    if (parsed.stream !== undefined) return table.stream?.arn === arn ? table.streamPolicy?.text : undefined;
    return table.policy?.text;
  };
  const found = ctx.findAny(parsed.accountId, parsed.region, parsed.table);
  return found instanceof Promise ? found.then(pick) : pick(found);
}
