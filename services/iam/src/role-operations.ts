// IAM roles: trust policies, description and session duration, boundaries, tags, and service-linked
// roles (`AWSServiceRoleFor…` under `/aws-service-role/<service>/`, deleted at once: the deletion
// task reports SUCCEEDED). Inline policies and attachments are entity-policy-operations.ts's.
import { newUniqueId, newUuid, type RequestContext } from '@atoll/core';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  InvalidInputException,
  LimitExceededException,
} from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import { awsManagedPolicy } from './aws-managed-policies.js';
import { checkModifiableRole, requirePolicy, type IamDeps } from './entity-policy-operations.js';
import {
  checkName,
  checkPath,
  checkPolicyDocument,
  checkTags,
  decodeMarker,
  iamArn,
  iso,
  mergeTags,
  noSuchRole,
  page,
  parseTags,
  POLICY_LIMITS,
  removeTags,
  sqlPage,
  tagsOrNothing,
} from './iam-common.js';
import { entityKey, nameKey } from './iam-signals.js';
import type { RoleRow } from './role-store.js';

const DEFAULT_SESSION = 3600;

/** The role names AWS gives its services' service-linked roles, where they are not the plain capitalized service name. */
const SERVICE_LINKED_NAMES: Record<string, { name: string; policy?: string }> = {
  'ecs.amazonaws.com': { name: 'ECS', policy: 'aws-service-role/AmazonECSServiceRolePolicy' },
  'elasticloadbalancing.amazonaws.com': { name: 'ElasticLoadBalancing', policy: 'aws-service-role/AWSElasticLoadBalancingServiceRolePolicy' },
  'autoscaling.amazonaws.com': { name: 'AutoScaling', policy: 'aws-service-role/AutoScalingServiceRolePolicy' },
  'rds.amazonaws.com': { name: 'RDS', policy: 'aws-service-role/AmazonRDSServiceRolePolicy' },
  'elasticache.amazonaws.com': { name: 'ElastiCache', policy: 'aws-service-role/ElastiCacheServiceRolePolicy' },
  'replication.dynamodb.amazonaws.com': { name: 'DynamoDBReplication', policy: 'aws-service-role/DynamoDBReplicationServiceRolePolicy' },
  'ecs.application-autoscaling.amazonaws.com': { name: 'ApplicationAutoScaling_ECSService', policy: 'aws-service-role/AWSApplicationAutoscalingECSServicePolicy' },
  'dynamodb.application-autoscaling.amazonaws.com': { name: 'ApplicationAutoScaling_DynamoDBTable', policy: 'aws-service-role/AWSApplicationAutoscalingDynamoDBTablePolicy' },
  'servicediscovery.amazonaws.com': { name: 'ServiceDiscovery' },
  'apigateway.amazonaws.com': { name: 'APIGateway' },
  'events.amazonaws.com': { name: 'CloudWatchEvents' },
  'xray.amazonaws.com': { name: 'AWSXRay' },
};

export function serviceLinkedName(service: string): { name: string; policy?: string } {
  const known = SERVICE_LINKED_NAMES[service];
  if (known) return known;
  const label = service.split('.')[0]!;
  return { name: label.charAt(0).toUpperCase() + label.slice(1) };
}

export function toRole(row: RoleRow, detail: 'get' | 'list'): iam.Role {
  return {
    Path: row.path,
    RoleName: row.role_name,
    RoleId: row.role_id,
    Arn: row.arn,
    CreateDate: new Date(row.create_date),
    AssumeRolePolicyDocument: encodeURIComponent(row.trust_policy),
    ...(row.description !== null ? { Description: row.description } : {}),
    MaxSessionDuration: row.max_session_duration,
    ...(detail === 'get'
      ? {
          ...(row.boundary_arn ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: row.boundary_arn } } : {}),
          ...tagsOrNothing(parseTags(row.tags)),
          RoleLastUsed: row.last_used_date ? { LastUsedDate: iso(row.last_used_date), Region: row.last_used_region ?? undefined } : {},
        }
      : {}),
  };
}

export function roleOperations({ store, directory }: IamDeps) {
  const requireRole = async (accountId: string, name: string): Promise<RoleRow> => {
    const role = await store.roles.get(accountId, name);
    if (!role) throw noSuchRole(name);
    return role;
  };
  const checkTrust = (text: string) =>
    checkPolicyDocument(text, 'trust', POLICY_LIMITS.trust, () => new LimitExceededException(`Cannot exceed quota for ACLSizePerRole: ${POLICY_LIMITS.trust}`));
  const forget = (accountId: string, name: string) => directory.forgetRole(entityKey(accountId, name));

  const insertRole = async (ctx: RequestContext, row: RoleRow): Promise<void> => {
    if (!(await store.roles.insert(row))) throw new EntityAlreadyExistsException(`Role with name ${row.role_name} already exists.`);
    forget(ctx.accountId, row.role_name);
  };

  return {
    CreateRole: async (input: iam.CreateRoleRequest, ctx: RequestContext): Promise<iam.CreateRoleResult> => {
      checkName(input.RoleName, 'roleName');
      const path = checkPath(input.Path);
      checkTrust(input.AssumeRolePolicyDocument);
      const tags = checkTags(input.Tags);
      if (input.PermissionsBoundary) await requirePolicy(store, input.PermissionsBoundary, ctx.accountId);
      const row: RoleRow = {
        account_id: ctx.accountId,
        role_key: nameKey(input.RoleName),
        role_name: input.RoleName,
        role_id: newUniqueId('AROA'),
        path,
        arn: iamArn(ctx.accountId, `role${path}${input.RoleName}`),
        create_date: new Date().toISOString(),
        trust_policy: input.AssumeRolePolicyDocument,
        description: input.Description ?? null,
        max_session_duration: input.MaxSessionDuration ?? DEFAULT_SESSION,
        boundary_arn: input.PermissionsBoundary ?? null,
        tags: JSON.stringify(tags),
        last_used_date: null,
        last_used_region: null,
      };
      await insertRole(ctx, row);
      const { RoleLastUsed: _unused, ...role } = toRole(row, 'get');
      return { Role: role };
    },

    GetRole: async (input: iam.GetRoleRequest, ctx: RequestContext): Promise<iam.GetRoleResult> => {
      return { Role: toRole(await requireRole(ctx.accountId, input.RoleName), 'get') };
    },

    ListRoles: async (input: iam.ListRolesRequest, ctx: RequestContext): Promise<iam.ListRolesResult> => {
      const max = input.MaxItems ?? 100;
      const rows = await store.roles.list(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const { items, ...rest } = sqlPage(rows, (r) => r.role_name, max);
      return { Roles: items.map((r) => toRole(r, 'list')), ...rest };
    },

    UpdateRole: async (input: iam.UpdateRoleRequest, ctx: RequestContext): Promise<iam.UpdateRoleResult> => {
      await checkModifiableRole(store, ctx.accountId, input.RoleName);
      const change = {
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.MaxSessionDuration !== undefined ? { maxSessionDuration: input.MaxSessionDuration } : {}),
      };
      if (!(await store.roles.update(ctx.accountId, input.RoleName, change))) throw noSuchRole(input.RoleName);
      return {};
    },

    UpdateRoleDescription: async (input: iam.UpdateRoleDescriptionRequest, ctx: RequestContext): Promise<iam.UpdateRoleDescriptionResult> => {
      if (!(await store.roles.update(ctx.accountId, input.RoleName, { description: input.Description }))) throw noSuchRole(input.RoleName);
      return { Role: toRole(await requireRole(ctx.accountId, input.RoleName), 'get') };
    },

    UpdateAssumeRolePolicy: async (input: iam.UpdateAssumeRolePolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await checkModifiableRole(store, ctx.accountId, input.RoleName);
      checkTrust(input.PolicyDocument);
      if (!(await store.roles.setTrustPolicy(ctx.accountId, input.RoleName, input.PolicyDocument))) throw noSuchRole(input.RoleName);
      return {};
    },

    DeleteRole: async (input: iam.DeleteRoleRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await checkModifiableRole(store, ctx.accountId, input.RoleName);
      const outcome = await store.roles.delete(ctx.accountId, input.RoleName);
      if (outcome === 'missing') throw noSuchRole(input.RoleName);
      if (outcome === 'has-policies') throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
      if (outcome === 'has-attached') throw new DeleteConflictException('Cannot delete entity, must detach all policies first.');
      if (outcome === 'has-profiles') throw new DeleteConflictException('Cannot delete entity, must remove roles from instance profile first.');
      forget(ctx.accountId, input.RoleName);
      return {};
    },

    PutRolePermissionsBoundary: async (input: iam.PutRolePermissionsBoundaryRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await checkModifiableRole(store, ctx.accountId, input.RoleName);
      await requirePolicy(store, input.PermissionsBoundary, ctx.accountId);
      if (!(await store.roles.setBoundary(ctx.accountId, input.RoleName, input.PermissionsBoundary))) throw noSuchRole(input.RoleName);
      forget(ctx.accountId, input.RoleName);
      return {};
    },

    DeleteRolePermissionsBoundary: async (input: iam.DeleteRolePermissionsBoundaryRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await checkModifiableRole(store, ctx.accountId, input.RoleName);
      if (!(await store.roles.setBoundary(ctx.accountId, input.RoleName, null))) throw noSuchRole(input.RoleName);
      forget(ctx.accountId, input.RoleName);
      return {};
    },

    TagRole: async (input: iam.TagRoleRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const role = await requireRole(ctx.accountId, input.RoleName);
      await store.roles.setTags(ctx.accountId, input.RoleName, JSON.stringify(mergeTags(parseTags(role.tags), input.Tags)));
      forget(ctx.accountId, input.RoleName);
      return {};
    },

    UntagRole: async (input: iam.UntagRoleRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const role = await requireRole(ctx.accountId, input.RoleName);
      await store.roles.setTags(ctx.accountId, input.RoleName, JSON.stringify(removeTags(parseTags(role.tags), input.TagKeys)));
      forget(ctx.accountId, input.RoleName);
      return {};
    },

    ListRoleTags: async (input: iam.ListRoleTagsRequest, ctx: RequestContext): Promise<iam.ListRoleTagsResult> => {
      const role = await requireRole(ctx.accountId, input.RoleName);
      const { items, ...rest } = page(parseTags(role.tags), (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: items, ...rest };
    },

    CreateServiceLinkedRole: async (input: iam.CreateServiceLinkedRoleRequest, ctx: RequestContext): Promise<iam.CreateServiceLinkedRoleResult> => {
      const service = input.AWSServiceName;
      if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/.test(service)) throw new InvalidInputException(`Invalid ServiceName: ${service}`);
      const linked = serviceLinkedName(service);
      const name = `AWSServiceRoleFor${linked.name}${input.CustomSuffix ? `_${input.CustomSuffix}` : ''}`;
      const path = `/aws-service-role/${service}/`;
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
      const row: RoleRow = {
        account_id: ctx.accountId,
        role_key: nameKey(name),
        role_name: name,
        role_id: newUniqueId('AROA'),
        path,
        arn: iamArn(ctx.accountId, `role${path}${name}`),
        create_date: new Date().toISOString(),
        trust_policy: trust,
        description: input.Description ?? null,
        max_session_duration: DEFAULT_SESSION,
        boundary_arn: null,
        tags: '[]',
        last_used_date: null,
        last_used_region: null,
      };
      if (!(await store.roles.insert(row))) {
        throw new InvalidInputException(`Service role name ${name} has been taken in this account, please try a different suffix.`);
      }
      const policyArn = linked.policy ? `arn:aws:iam::aws:policy/${linked.policy}` : undefined;
      if (policyArn && awsManagedPolicy(policyArn)) await store.entities.attach('role', ctx.accountId, name, policyArn, false, Number.MAX_SAFE_INTEGER);
      forget(ctx.accountId, name);
      const { RoleLastUsed: _unused, ...role } = toRole(row, 'get');
      return { Role: role };
    },

    DeleteServiceLinkedRole: async (input: iam.DeleteServiceLinkedRoleRequest, ctx: RequestContext): Promise<iam.DeleteServiceLinkedRoleResult> => {
      const role = await requireRole(ctx.accountId, input.RoleName);
      const service = /^\/aws-service-role\/([^/]+)\/$/.exec(role.path)?.[1];
      if (!service) throw new InvalidInputException(`Role ${role.role_name} is not a service-linked role.`);
      const outcome = await store.roles.delete(ctx.accountId, role.role_name, true);
      if (outcome === 'has-profiles') throw new DeleteConflictException('Cannot delete entity, must remove roles from instance profile first.');
      forget(ctx.accountId, role.role_name);
      return { DeletionTaskId: `task/aws-service-role/${service}/${role.role_name}/${newUuid()}` };
    },

    GetServiceLinkedRoleDeletionStatus: async (
      input: iam.GetServiceLinkedRoleDeletionStatusRequest,
      ctx: RequestContext,
    ): Promise<iam.GetServiceLinkedRoleDeletionStatusResult> => {
      const task = /^task\/aws-service-role\/[^/]+\/([\w+=,.@-]+)\/[0-9a-f-]{36}$/.exec(input.DeletionTaskId);
      if (!task) throw new InvalidInputException(`Invalid deletion task id: ${input.DeletionTaskId}`);
      // Deletion happens at once: a task whose role is gone succeeded.
      return { Status: (await store.roles.get(ctx.accountId, task[1]!)) ? 'IN_PROGRESS' : 'SUCCEEDED' };
    },
  };
}
