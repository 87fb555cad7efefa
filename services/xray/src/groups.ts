// X-Ray groups (a name for a filter expression; GetServiceGraph by group) and resource tags on
// groups and sampling rules.
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import type {
  CreateGroupRequest,
  CreateGroupResult,
  DeleteGroupRequest,
  GetGroupRequest,
  GetGroupResult,
  GetGroupsResult,
  Group,
  ListTagsForResourceRequest,
  ListTagsForResourceResult,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateGroupRequest,
  UpdateGroupResult,
} from '@atoll/aws-models/xray';
import { InvalidRequestException, ResourceNotFoundException, TooManyTagsException } from '@atoll/aws-models/xray';
import { compileFilter, FilterExpressionError } from './filter-expression.js';
import type { GroupRow, XrayStore } from './xray-store.js';

const DEFAULT_GROUP = 'Default';
const MAX_TAGS = 50;

function checkFilter(expression: string | undefined): void {
  if (expression === undefined) return;
  try {
    compileFilter(expression);
  } catch (e) {
    if (e instanceof FilterExpressionError) throw new InvalidRequestException(`Invalid filter expression: ${e.message}`);
    throw e;
  }
}

const groupOf = (g: GroupRow): Group => ({
  GroupName: g.name,
  GroupARN: g.arn,
  ...(g.doc.FilterExpression !== undefined ? { FilterExpression: String(g.doc.FilterExpression) } : {}),
  InsightsConfiguration: (g.doc.InsightsConfiguration as Group['InsightsConfiguration']) ?? { InsightsEnabled: false, NotificationsEnabled: false },
});

export class Groups {
  constructor(
    readonly store: () => XrayStore,
    /** Whether a sampling rule with this ARN exists (tags). */
    readonly ruleExists: (ctx: RequestContext, arn: string) => Promise<boolean>,
  ) {}

  defaultGroup(ctx: RequestContext): GroupRow {
    return { name: DEFAULT_GROUP, arn: `arn:aws:xray:${ctx.region}:${ctx.accountId}:group/Default`, doc: {} };
  }

  /** A group by name or ARN (the Default group included); InvalidRequestException when missing. */
  async find(ctx: RequestContext, name: string | undefined, arn: string | undefined): Promise<GroupRow> {
    if (!name && !arn) throw new InvalidRequestException('GroupName or GroupARN is required.');
    const all = [this.defaultGroup(ctx), ...(await this.store().groups(ctx.accountId, ctx.region))];
    const g = all.find((x) => (name ? x.name === name : x.arn === arn));
    if (!g) throw new InvalidRequestException('Group not found');
    return g;
  }

  CreateGroup = async (input: CreateGroupRequest, ctx: RequestContext): Promise<CreateGroupResult> => {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(input.GroupName) || input.GroupName === DEFAULT_GROUP) throw new InvalidRequestException('Invalid group name.');
    checkFilter(input.FilterExpression);
    if ((input.Tags?.length ?? 0) > MAX_TAGS) throw new TooManyTagsException('Too many tags.');
    const row: GroupRow = {
      name: input.GroupName,
      arn: `arn:aws:xray:${ctx.region}:${ctx.accountId}:group/${input.GroupName}/${randomBytes(20).toString('base64url').replace(/[-_]/g, 'A').slice(0, 26).toUpperCase()}`,
      doc: { FilterExpression: input.FilterExpression, InsightsConfiguration: { InsightsEnabled: false, NotificationsEnabled: false, ...input.InsightsConfiguration } },
    };
    if (!(await this.store().createGroup(ctx.accountId, ctx.region, row))) throw new InvalidRequestException('Group already exists');
    if (input.Tags?.length) await this.store().changeTags(row.arn, Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])), []);
    return { Group: groupOf(row) };
  };

  GetGroup = async (input: GetGroupRequest, ctx: RequestContext): Promise<GetGroupResult> => ({ Group: groupOf(await this.find(ctx, input.GroupName, input.GroupARN)) });

  GetGroups = async (_input: unknown, ctx: RequestContext): Promise<GetGroupsResult> => ({
    Groups: [this.defaultGroup(ctx), ...(await this.store().groups(ctx.accountId, ctx.region))].map(groupOf),
  });

  UpdateGroup = async (input: UpdateGroupRequest, ctx: RequestContext): Promise<UpdateGroupResult> => {
    const g = await this.find(ctx, input.GroupName, input.GroupARN);
    if (g.name === DEFAULT_GROUP) throw new InvalidRequestException('The Default group cannot be changed.');
    checkFilter(input.FilterExpression);
    const doc = {
      ...g.doc,
      ...(input.FilterExpression !== undefined ? { FilterExpression: input.FilterExpression } : {}),
      ...(input.InsightsConfiguration ? { InsightsConfiguration: { ...(g.doc.InsightsConfiguration as object), ...input.InsightsConfiguration } } : {}),
    };
    await this.store().updateGroup(ctx.accountId, ctx.region, g.name, doc);
    return { Group: groupOf({ ...g, doc }) };
  };

  DeleteGroup = async (input: DeleteGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.find(ctx, input.GroupName, input.GroupARN);
    if (g.name === DEFAULT_GROUP) throw new InvalidRequestException('The Default group cannot be deleted.');
    await this.store().deleteGroup(ctx.accountId, ctx.region, g.name);
    await this.store().dropTags(g.arn);
    return {};
  };

  async #taggable(ctx: RequestContext, arn: string): Promise<void> {
    const groups = await this.store().groups(ctx.accountId, ctx.region);
    if (groups.some((g) => g.arn === arn) || (await this.ruleExists(ctx, arn))) return;
    throw new ResourceNotFoundException(`Resource not found: ${arn}`, { ResourceName: arn });
  }

  TagResource = async (input: TagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    await this.#taggable(ctx, input.ResourceARN);
    const current = await this.store().tags(input.ResourceARN);
    const add = Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value]));
    if (Object.keys({ ...current, ...add }).length > MAX_TAGS) throw new TooManyTagsException('Too many tags.', { ResourceName: input.ResourceARN });
    await this.store().changeTags(input.ResourceARN, add, []);
    return {};
  };

  UntagResource = async (input: UntagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    await this.#taggable(ctx, input.ResourceARN);
    await this.store().changeTags(input.ResourceARN, {}, input.TagKeys);
    return {};
  };

  ListTagsForResource = async (input: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResult> => {
    await this.#taggable(ctx, input.ResourceARN);
    return { Tags: Object.entries(await this.store().tags(input.ResourceARN)).map(([Key, Value]) => ({ Key, Value })) };
  };
}
