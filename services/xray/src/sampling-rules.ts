// Sampling rules (GetSamplingRules, Create/Update/DeleteSamplingRule) and the centralized sampling
// loop of the X-Ray SDKs (GetSamplingTargets, GetSamplingStatisticSummaries). A rule's reservoir
// (traces per second) is shared between the clients that reported on it in the last 30 seconds:
// each gets floor(size / clients), the first `size % clients` (by client id) one more, so that the
// quotas add up to the reservoir; beyond it, clients sample at the rule's fixed rate.
import type { RequestContext } from '@atoll/core';
import type {
  CreateSamplingRuleRequest,
  CreateSamplingRuleResult,
  DeleteSamplingRuleRequest,
  DeleteSamplingRuleResult,
  GetSamplingRulesResult,
  GetSamplingStatisticSummariesResult,
  GetSamplingTargetsRequest,
  GetSamplingTargetsResult,
  SamplingRule,
  SamplingRuleRecord,
  UpdateSamplingRuleRequest,
  UpdateSamplingRuleResult,
} from '@atoll/aws-models/xray';
import { InvalidRequestException, RuleLimitExceededException } from '@atoll/aws-models/xray';
import type { RuleRow, XrayStore } from './xray-store.js';

export const DEFAULT_RULE = 'Default';
const MAX_RULES = 25;
const ACTIVE_CLIENT_MS = 30_000;
const TARGET_INTERVAL_S = 10;

const ruleArn = (ctx: { region: string; accountId: string }, name: string) => `arn:aws:xray:${ctx.region}:${ctx.accountId}:sampling-rule/${name}`;

function defaultRule(ctx: { region: string; accountId: string }): SamplingRule {
  return {
    RuleName: DEFAULT_RULE,
    RuleARN: ruleArn(ctx, DEFAULT_RULE),
    ResourceARN: '*',
    Priority: 10000,
    FixedRate: 0.05,
    ReservoirSize: 1,
    ServiceName: '*',
    ServiceType: '*',
    Host: '*',
    HTTPMethod: '*',
    URLPath: '*',
    Version: 1,
    Attributes: {},
  };
}

function check(rule: Partial<SamplingRule>): void {
  if (rule.FixedRate !== undefined && !(rule.FixedRate >= 0 && rule.FixedRate <= 1)) throw new InvalidRequestException('FixedRate must be between 0 and 1.');
  if (rule.ReservoirSize !== undefined && !(Number.isInteger(rule.ReservoirSize) && rule.ReservoirSize >= 0)) throw new InvalidRequestException('ReservoirSize must be a non-negative integer.');
  if (rule.Priority !== undefined && !(Number.isInteger(rule.Priority) && rule.Priority >= 1 && rule.Priority <= 9999)) throw new InvalidRequestException('Priority must be between 1 and 9999.');
  if (rule.RuleName !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(rule.RuleName)) throw new InvalidRequestException('RuleName must be 1 to 32 letters, digits, hyphens or underscores.');
}

const record = (r: RuleRow): SamplingRuleRecord => ({ SamplingRule: r.doc as unknown as SamplingRule, CreatedAt: new Date(r.createdAt), ModifiedAt: new Date(r.modifiedAt) });

export class SamplingRules {
  readonly #defaults = new Set<string>();

  constructor(readonly store: () => XrayStore) {}

  /** The rules (with the Default rule, created on first use), by priority then name. */
  async rules(ctx: RequestContext): Promise<RuleRow[]> {
    const scope = `${ctx.accountId}/${ctx.region}`;
    if (!this.#defaults.has(scope)) {
      const now = Date.now();
      await this.store().createRule(ctx.accountId, ctx.region, { name: DEFAULT_RULE, doc: defaultRule(ctx) as unknown as Record<string, unknown>, createdAt: now, modifiedAt: now }, Infinity);
      this.#defaults.add(scope);
    }
    const rows = await this.store().rules(ctx.accountId, ctx.region);
    return rows.sort((a, b) => Number(a.doc.Priority) - Number(b.doc.Priority) || a.name.localeCompare(b.name));
  }

  async #find(ctx: RequestContext, name: string | undefined, arn: string | undefined): Promise<RuleRow> {
    if (!name && !arn) throw new InvalidRequestException('RuleName or RuleARN is required.');
    const rule = (await this.rules(ctx)).find((r) => (name ? r.name === name : r.doc.RuleARN === arn));
    if (!rule) throw new InvalidRequestException('Sampling rule does not exist');
    return rule;
  }

  GetSamplingRules = async (_input: unknown, ctx: RequestContext): Promise<GetSamplingRulesResult> => ({ SamplingRuleRecords: (await this.rules(ctx)).map(record) });

  CreateSamplingRule = async (input: CreateSamplingRuleRequest, ctx: RequestContext): Promise<CreateSamplingRuleResult> => {
    const rule = input.SamplingRule;
    check(rule);
    if (!rule.RuleName) throw new InvalidRequestException('RuleName is required.');
    if (rule.Version !== 1) throw new InvalidRequestException('Version must be 1.');
    await this.rules(ctx);
    const now = Date.now();
    const doc: SamplingRule = { ...rule, RuleARN: ruleArn(ctx, rule.RuleName), Attributes: rule.Attributes ?? {} };
    const row: RuleRow = { name: rule.RuleName, doc: doc as unknown as Record<string, unknown>, createdAt: now, modifiedAt: now };
    const outcome = await this.store().createRule(ctx.accountId, ctx.region, row, MAX_RULES + 1);
    if (outcome === 'exists') throw new InvalidRequestException('A sampling rule with the same name already exists.');
    if (outcome === 'limit') throw new RuleLimitExceededException('You have reached the maximum number of sampling rules.');
    if (input.Tags?.length) await this.store().changeTags(doc.RuleARN!, Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])), []);
    return { SamplingRuleRecord: record(row) };
  };

  UpdateSamplingRule = async (input: UpdateSamplingRuleRequest, ctx: RequestContext): Promise<UpdateSamplingRuleResult> => {
    const u = input.SamplingRuleUpdate;
    const current = await this.#find(ctx, u.RuleName, u.RuleARN);
    check({ ...u, RuleName: undefined });
    const { RuleName: _n, RuleARN: _a, ...changes } = u;
    if (current.name === DEFAULT_RULE && Object.keys(changes).some((k) => k !== 'FixedRate' && k !== 'ReservoirSize' && (changes as Record<string, unknown>)[k] !== undefined)) {
      throw new InvalidRequestException('Only FixedRate and ReservoirSize of the Default rule can be changed.');
    }
    const doc = { ...current.doc, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
    const now = Date.now();
    await this.store().updateRule(ctx.accountId, ctx.region, current.name, doc, now);
    return { SamplingRuleRecord: record({ ...current, doc, modifiedAt: now }) };
  };

  DeleteSamplingRule = async (input: DeleteSamplingRuleRequest, ctx: RequestContext): Promise<DeleteSamplingRuleResult> => {
    const current = await this.#find(ctx, input.RuleName, input.RuleARN);
    if (current.name === DEFAULT_RULE) throw new InvalidRequestException('The Default rule cannot be deleted.');
    await this.store().deleteRule(ctx.accountId, ctx.region, current.name);
    await this.store().dropTags(String(current.doc.RuleARN));
    return { SamplingRuleRecord: record(current) };
  };

  GetSamplingTargets = async (input: GetSamplingTargetsRequest, ctx: RequestContext): Promise<GetSamplingTargetsResult> => {
    const rules = await this.rules(ctx);
    const now = Date.now();
    const out: GetSamplingTargetsResult = { SamplingTargetDocuments: [], UnprocessedStatistics: [], LastRuleModification: new Date(Math.max(...rules.map((r) => r.modifiedAt))) };
    for (const stat of input.SamplingStatisticsDocuments) {
      const rule = rules.find((r) => r.name === stat.RuleName);
      if (!rule) {
        out.UnprocessedStatistics!.push({ RuleName: stat.RuleName, ErrorCode: '400', Message: 'Unknown rule' });
        continue;
      }
      const clients = await this.store().reportStatistics(
        ctx.accountId,
        ctx.region,
        { rule: rule.name, clientId: stat.ClientID, at: now, requests: stat.RequestCount, sampled: stat.SampledCount, borrowed: stat.BorrowCount ?? 0 },
        now - ACTIVE_CLIENT_MS,
      );
      const size = Number(rule.doc.ReservoirSize);
      const index = Math.max(0, clients.indexOf(stat.ClientID));
      const quota = Math.floor(size / clients.length) + (index < size % clients.length ? 1 : 0);
      out.SamplingTargetDocuments!.push({
        RuleName: rule.name,
        FixedRate: Number(rule.doc.FixedRate),
        ReservoirQuota: quota,
        ReservoirQuotaTTL: new Date(now + TARGET_INTERVAL_S * 1000),
        Interval: TARGET_INTERVAL_S,
      });
    }
    return out;
  };

  GetSamplingStatisticSummaries = async (_input: unknown, ctx: RequestContext): Promise<GetSamplingStatisticSummariesResult> => ({
    SamplingStatisticSummaries: (await this.store().statistics(ctx.accountId, ctx.region)).map((s) => ({
      RuleName: s.rule,
      Timestamp: new Date(s.lastSeen),
      RequestCount: s.requests,
      SampledCount: s.sampled,
      BorrowCount: s.borrowed,
    })),
  });
}
