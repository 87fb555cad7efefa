// Managed policies: customer policies with versions (at most 5, one default), tags and the entities
// they are attached to; AWS managed policies (aws-managed-policies.ts) are listed, read and attached
// by ARN but cannot be changed. Attachment operations themselves are entity-policy-operations.ts's.
import { newUniqueId, type RequestContext } from '@atoll/core';
import { DeleteConflictException, EntityAlreadyExistsException, InvalidInputException, LimitExceededException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import { awsManagedPolicy, isAwsManagedPolicyArn, listAwsManagedPolicies } from './aws-managed-policies.js';
import type { IamDeps } from './entity-policy-operations.js';
import {
  checkName,
  checkPath,
  checkPolicyDocument,
  checkTags,
  iamArn,
  mergeTags,
  noSuch,
  noSuchPolicy,
  page,
  parseTags,
  POLICY_LIMITS,
  removeTags,
  tagsOrNothing,
} from './iam-common.js';
import { nameKey } from './iam-signals.js';
import type { ManagedPolicyRow } from './managed-policy-store.js';

const MAX_VERSIONS = 5;

const tooLarge = () => new LimitExceededException(`Cannot exceed quota for PolicySize: ${POLICY_LIMITS.managed}`);
const awsReadOnly = (arn: string) => new InvalidInputException(`ARN ${arn} is not valid: AWS managed policies cannot be changed.`);

function toPolicy(row: ManagedPolicyRow, attachments: number, boundaries: number, withTags: boolean): iam.Policy {
  return {
    PolicyName: row.policy_name,
    PolicyId: row.policy_id,
    Arn: row.arn,
    Path: row.path,
    DefaultVersionId: row.default_version,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: boundaries,
    IsAttachable: true,
    ...(row.description !== null ? { Description: row.description } : {}),
    CreateDate: new Date(row.create_date),
    UpdateDate: new Date(row.update_date),
    ...(withTags ? tagsOrNothing(parseTags(row.tags)) : {}),
  };
}

export function managedPolicyOperations({ store, directory }: IamDeps) {
  const requireLocal = async (accountId: string, arn: string): Promise<ManagedPolicyRow> => {
    const row = await store.policies.get(accountId, arn);
    if (!row) throw noSuchPolicy(arn);
    return row;
  };
  const counts = async (accountId: string) => ({
    attachments: await store.entities.attachmentCounts(accountId),
    boundaries: await store.entities.boundaryCounts(accountId),
  });

  return {
    CreatePolicy: async (input: iam.CreatePolicyRequest, ctx: RequestContext): Promise<iam.CreatePolicyResult> => {
      checkName(input.PolicyName, 'policyName');
      const path = checkPath(input.Path);
      checkPolicyDocument(input.PolicyDocument, 'identity', POLICY_LIMITS.managed, tooLarge, true);
      const tags = checkTags(input.Tags);
      const now = new Date().toISOString();
      const row: ManagedPolicyRow = {
        account_id: ctx.accountId,
        policy_key: nameKey(input.PolicyName),
        policy_name: input.PolicyName,
        policy_id: newUniqueId('ANPA'),
        path,
        arn: iamArn(ctx.accountId, `policy${path}${input.PolicyName}`),
        description: input.Description ?? null,
        default_version: 'v1',
        next_version: 2,
        create_date: now,
        update_date: now,
        tags: JSON.stringify(tags),
      };
      if (!(await store.policies.insert(row, input.PolicyDocument))) {
        throw new EntityAlreadyExistsException(`A policy called ${input.PolicyName} already exists. Duplicate names are not allowed.`);
      }
      // A policy deleted and created again under its ARN: drop what this node cached for the old one.
      directory.forgetPolicy(row.arn);
      return { Policy: toPolicy(row, 0, 0, true) };
    },

    GetPolicy: async (input: iam.GetPolicyRequest, ctx: RequestContext): Promise<iam.GetPolicyResult> => {
      const aws = awsManagedPolicy(input.PolicyArn);
      const { attachments, boundaries } = await counts(ctx.accountId);
      if (aws) {
        return {
          Policy: {
            PolicyName: aws.name,
            PolicyId: aws.policyId,
            Arn: aws.arn,
            Path: aws.path,
            DefaultVersionId: aws.versionId,
            AttachmentCount: attachments.get(aws.arn) ?? 0,
            PermissionsBoundaryUsageCount: boundaries.get(aws.arn) ?? 0,
            IsAttachable: true,
            CreateDate: aws.createDate,
            UpdateDate: aws.updateDate,
          },
        };
      }
      const row = await requireLocal(ctx.accountId, input.PolicyArn);
      return { Policy: toPolicy(row, attachments.get(row.arn) ?? 0, boundaries.get(row.arn) ?? 0, true) };
    },

    ListPolicies: async (input: iam.ListPoliciesRequest, ctx: RequestContext): Promise<iam.ListPoliciesResult> => {
      const scope = input.Scope ?? 'All';
      const prefix = input.PathPrefix ?? '/';
      const { attachments, boundaries } = await counts(ctx.accountId);
      const policies: iam.Policy[] = [];
      if (scope !== 'Local') {
        for (const aws of listAwsManagedPolicies()) {
          if (!aws.path.startsWith(prefix)) continue;
          policies.push({
            PolicyName: aws.name,
            PolicyId: aws.policyId,
            Arn: aws.arn,
            Path: aws.path,
            DefaultVersionId: aws.versionId,
            AttachmentCount: attachments.get(aws.arn) ?? 0,
            PermissionsBoundaryUsageCount: boundaries.get(aws.arn) ?? 0,
            IsAttachable: true,
            CreateDate: aws.createDate,
            UpdateDate: aws.updateDate,
          });
        }
      }
      if (scope !== 'AWS') {
        for (const row of await store.policies.list(ctx.accountId, prefix)) {
          policies.push(toPolicy(row, attachments.get(row.arn) ?? 0, boundaries.get(row.arn) ?? 0, false));
        }
      }
      const usage = input.PolicyUsageFilter;
      const listed = policies.filter((p) => {
        if (input.OnlyAttached && (p.AttachmentCount ?? 0) + (p.PermissionsBoundaryUsageCount ?? 0) === 0) return false;
        if (usage === 'PermissionsPolicy' && input.OnlyAttached && (p.AttachmentCount ?? 0) === 0) return false;
        if (usage === 'PermissionsBoundary' && input.OnlyAttached && (p.PermissionsBoundaryUsageCount ?? 0) === 0) return false;
        return true;
      });
      listed.sort((a, b) => (a.Arn! < b.Arn! ? -1 : a.Arn! > b.Arn! ? 1 : 0));
      const { items, ...rest } = page(listed, (p) => p.Arn!, input.Marker, input.MaxItems);
      return { Policies: items, ...rest };
    },

    DeletePolicy: async (input: iam.DeletePolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      if (isAwsManagedPolicyArn(input.PolicyArn)) throw awsReadOnly(input.PolicyArn);
      const outcome = await store.policies.delete(ctx.accountId, input.PolicyArn);
      if (outcome === 'missing') throw noSuchPolicy(input.PolicyArn);
      if (outcome === 'attached') throw new DeleteConflictException('Cannot delete a policy attached to entities.');
      if (outcome === 'versions') {
        throw new DeleteConflictException(
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      directory.forgetPolicy(input.PolicyArn);
      return {};
    },

    CreatePolicyVersion: async (input: iam.CreatePolicyVersionRequest, ctx: RequestContext): Promise<iam.CreatePolicyVersionResult> => {
      if (isAwsManagedPolicyArn(input.PolicyArn)) throw awsReadOnly(input.PolicyArn);
      await requireLocal(ctx.accountId, input.PolicyArn);
      checkPolicyDocument(input.PolicyDocument, 'identity', POLICY_LIMITS.managed, tooLarge, true);
      const setAsDefault = input.SetAsDefault ?? false;
      const created = await store.policies.createVersion(ctx.accountId, input.PolicyArn, input.PolicyDocument, setAsDefault, MAX_VERSIONS, new Date().toISOString());
      if (created.outcome === 'missing') throw noSuchPolicy(input.PolicyArn);
      if (created.outcome === 'limit') {
        throw new LimitExceededException(
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      if (setAsDefault) directory.forgetPolicy(input.PolicyArn);
      const version = created.version!;
      return { PolicyVersion: { VersionId: version.version_id, IsDefaultVersion: setAsDefault, CreateDate: new Date(version.create_date) } };
    },

    GetPolicyVersion: async (input: iam.GetPolicyVersionRequest, ctx: RequestContext): Promise<iam.GetPolicyVersionResult> => {
      const missing = () => noSuch(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
      const aws = awsManagedPolicy(input.PolicyArn);
      if (aws) {
        if (aws.versionId !== input.VersionId) throw missing();
        return { PolicyVersion: { Document: encodeURIComponent(aws.document), VersionId: aws.versionId, IsDefaultVersion: true, CreateDate: aws.updateDate } };
      }
      const policy = await requireLocal(ctx.accountId, input.PolicyArn);
      const version = await store.policies.getVersion(ctx.accountId, input.PolicyArn, input.VersionId);
      if (!version) throw missing();
      return {
        PolicyVersion: {
          Document: encodeURIComponent(version.document),
          VersionId: version.version_id,
          IsDefaultVersion: version.version_id === policy.default_version,
          CreateDate: new Date(version.create_date),
        },
      };
    },

    ListPolicyVersions: async (input: iam.ListPolicyVersionsRequest, ctx: RequestContext): Promise<iam.ListPolicyVersionsResult> => {
      const aws = awsManagedPolicy(input.PolicyArn);
      if (aws) return { Versions: [{ VersionId: aws.versionId, IsDefaultVersion: true, CreateDate: aws.updateDate }], IsTruncated: false };
      const policy = await requireLocal(ctx.accountId, input.PolicyArn);
      const versions = await store.policies.listVersions(ctx.accountId, input.PolicyArn);
      const { items, ...rest } = page(versions, (v) => v.version_id.padStart(12, '0'), input.Marker, input.MaxItems);
      return {
        Versions: items.map((v) => ({ VersionId: v.version_id, IsDefaultVersion: v.version_id === policy.default_version, CreateDate: new Date(v.create_date) })),
        ...rest,
      };
    },

    DeletePolicyVersion: async (input: iam.DeletePolicyVersionRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      if (isAwsManagedPolicyArn(input.PolicyArn)) throw awsReadOnly(input.PolicyArn);
      const outcome = await store.policies.deleteVersion(ctx.accountId, input.PolicyArn, input.VersionId);
      if (outcome === 'missing') throw noSuchPolicy(input.PolicyArn);
      if (outcome === 'no-version') throw noSuch(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
      if (outcome === 'default') throw new DeleteConflictException('Cannot delete the default version of a policy.');
      return {};
    },

    SetDefaultPolicyVersion: async (input: iam.SetDefaultPolicyVersionRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      if (isAwsManagedPolicyArn(input.PolicyArn)) throw awsReadOnly(input.PolicyArn);
      const outcome = await store.policies.setDefault(ctx.accountId, input.PolicyArn, input.VersionId, new Date().toISOString());
      if (outcome === 'missing') throw noSuchPolicy(input.PolicyArn);
      if (outcome === 'no-version') throw noSuch(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
      directory.forgetPolicy(input.PolicyArn);
      return {};
    },

    TagPolicy: async (input: iam.TagPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const row = await requireLocal(ctx.accountId, input.PolicyArn);
      await store.policies.setTags(ctx.accountId, input.PolicyArn, JSON.stringify(mergeTags(parseTags(row.tags), input.Tags)));
      return {};
    },

    UntagPolicy: async (input: iam.UntagPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const row = await requireLocal(ctx.accountId, input.PolicyArn);
      await store.policies.setTags(ctx.accountId, input.PolicyArn, JSON.stringify(removeTags(parseTags(row.tags), input.TagKeys)));
      return {};
    },

    ListPolicyTags: async (input: iam.ListPolicyTagsRequest, ctx: RequestContext): Promise<iam.ListPolicyTagsResult> => {
      const row = await requireLocal(ctx.accountId, input.PolicyArn);
      const { items, ...rest } = page(parseTags(row.tags), (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: items, ...rest };
    },

    ListEntitiesForPolicy: async (input: iam.ListEntitiesForPolicyRequest, ctx: RequestContext): Promise<iam.ListEntitiesForPolicyResult> => {
      if (!awsManagedPolicy(input.PolicyArn)) await requireLocal(ctx.accountId, input.PolicyArn);
      const entities =
        input.PolicyUsageFilter === 'PermissionsBoundary'
          ? await store.entities.boundaryEntities(ctx.accountId, input.PolicyArn)
          : input.PolicyUsageFilter === 'PermissionsPolicy'
            ? await store.entities.entitiesForPolicy(ctx.accountId, input.PolicyArn)
            : [...(await store.entities.entitiesForPolicy(ctx.accountId, input.PolicyArn)), ...(await store.entities.boundaryEntities(ctx.accountId, input.PolicyArn))];
      const filter = input.EntityFilter?.toLowerCase();
      const prefix = input.PathPrefix ?? '/';
      const seen = new Set<string>();
      const listed = entities
        .filter((e) => (!filter || filter === e.type) && e.path.startsWith(prefix))
        .filter((e) => !seen.has(`${e.type}/${e.id}`) && seen.add(`${e.type}/${e.id}`))
        .sort((a, b) => (`${a.type}/${a.name.toLowerCase()}` < `${b.type}/${b.name.toLowerCase()}` ? -1 : 1));
      const { items, ...rest } = page(listed, (e) => `${e.type}/${e.name.toLowerCase()}`, input.Marker, input.MaxItems);
      return {
        PolicyGroups: items.filter((e) => e.type === 'group').map((e) => ({ GroupName: e.name, GroupId: e.id })),
        PolicyUsers: items.filter((e) => e.type === 'user').map((e) => ({ UserName: e.name, UserId: e.id })),
        PolicyRoles: items.filter((e) => e.type === 'role').map((e) => ({ RoleName: e.name, RoleId: e.id })),
        ...rest,
      };
    },
  };
}
