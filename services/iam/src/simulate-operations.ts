// IAM's policy simulator: SimulatePrincipalPolicy (the policies of a user — with its groups' — a
// role or a group, read through IAM's own public operations) and SimulateCustomPolicy (policies
// given in the call), answered by the same evaluator as the edge's authorize step (@atoll/auth).
// Each action × resource pair gives one EvaluationResult: allowed | explicitDeny | implicitDeny,
// the statements that decided it (with their line/column in the policy text), the condition keys
// the policies read that ContextEntries did not give, and the permissions boundary's part.
// Limitations: no Organizations SCPs (OrganizationsDecisionDetail is always allowed-by-default:
// absent); ResourceHandlingOption (EC2 scenarios) and ResourceSpecificResults are not produced;
// global condition keys are not filled in from the principal (give them as ContextEntries, as the
// AWS simulator asks); SourcePolicyId of a principal's policies is the policy's name.
import type { CallerIdentity, RequestContext } from '@atoll/core';
import { authorize, compilePolicy, statementPositions, validatePolicyDocument, type AuthorizeDecision, type CompiledPolicy, type SetEvaluation } from '@atoll/auth';
import { InvalidInputException, NoSuchEntityException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';

/** Calls one of IAM's own public operations (the provider's `operations[name]`). */
export interface SimulateDeps {
  invoke(operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<unknown>;
}

type SourceType = iam.PolicySourceType;

interface SourcePolicy {
  id: string;
  type: SourceType;
  text: string;
}

interface Sources {
  identity: SourcePolicy[];
  boundary?: SourcePolicy;
  resource?: SourcePolicy;
}

/** IAM answers documents URL-encoded (RFC 3986); the simulator reads them decoded. */
function decoded(document: string): string {
  const trimmed = document.trimStart();
  if (trimmed.startsWith('{')) return document;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

function invalidPolicy(which: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new InvalidInputException(`${which} is not a valid policy: ${reason}`);
}

function checkInputPolicies(list: readonly string[] | undefined, member: string, kind: 'identity' | 'resource'): SourcePolicy[] {
  return (list ?? []).map((text, i) => {
    try {
      validatePolicyDocument(text, kind);
    } catch (error) {
      throw invalidPolicy(`${member}.${i + 1}`, error);
    }
    return { id: `${member}.${i + 1}`, type: 'none' as SourceType, text };
  });
}

/** Reads every page of an IAM list operation. */
async function listAll<T>(deps: SimulateDeps, ctx: RequestContext, operation: string, input: Record<string, unknown>, member: string): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const out = (await deps.invoke(operation, { ...input, ...(marker ? { Marker: marker } : {}) }, ctx)) as Record<string, unknown>;
    items.push(...((out[member] as T[] | undefined) ?? []));
    marker = out['IsTruncated'] ? (out['Marker'] as string | undefined) : undefined;
  } while (marker);
  return items;
}

async function managedDocument(deps: SimulateDeps, ctx: RequestContext, arn: string): Promise<string | undefined> {
  try {
    const policy = ((await deps.invoke('GetPolicy', { PolicyArn: arn }, ctx)) as iam.GetPolicyResult).Policy;
    const versionId = policy?.DefaultVersionId ?? 'v1';
    const version = ((await deps.invoke('GetPolicyVersion', { PolicyArn: arn, VersionId: versionId }, ctx)) as iam.GetPolicyVersionResult).PolicyVersion;
    return version?.Document !== undefined ? decoded(version.Document) : undefined;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  }
}

type Entity = 'User' | 'Role' | 'Group';

/** An entity's inline and attached policies, each with its simulator source id and type. */
async function entityPolicies(deps: SimulateDeps, ctx: RequestContext, entity: Entity, name: string): Promise<SourcePolicy[]> {
  const nameMember = `${entity}Name`;
  const inlineType: SourceType = entity === 'User' ? 'user' : entity === 'Role' ? 'role' : 'group';
  const policies: SourcePolicy[] = [];
  for (const policyName of await listAll<string>(deps, ctx, `List${entity}Policies`, { [nameMember]: name }, 'PolicyNames')) {
    const out = (await deps.invoke(`Get${entity}Policy`, { [nameMember]: name, PolicyName: policyName }, ctx)) as { PolicyDocument: string };
    policies.push({ id: policyName, type: inlineType, text: decoded(out.PolicyDocument) });
  }
  for (const attached of await listAll<iam.AttachedPolicy>(deps, ctx, `ListAttached${entity}Policies`, { [nameMember]: name }, 'AttachedPolicies')) {
    const arn = attached.PolicyArn!;
    const text = await managedDocument(deps, ctx, arn);
    if (text !== undefined) policies.push({ id: attached.PolicyName ?? arn, type: arn.includes(':iam::aws:policy/') ? 'aws-managed' : 'user-managed', text });
  }
  return policies;
}

async function boundaryPolicy(deps: SimulateDeps, ctx: RequestContext, boundary: iam.AttachedPermissionsBoundary | undefined): Promise<SourcePolicy | undefined> {
  const arn = boundary?.PermissionsBoundaryArn;
  if (!arn) return undefined;
  const text = await managedDocument(deps, ctx, arn);
  return text === undefined ? undefined : { id: arn.slice(arn.lastIndexOf('/') + 1), type: arn.includes(':iam::aws:policy/') ? 'aws-managed' : 'user-managed', text };
}

/** `arn:aws:iam::<acct>:user/path/name` → { kind: 'user', account, name }. */
function parseSourceArn(arn: string): { kind: 'user' | 'role' | 'group'; account: string; name: string } {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role|group)\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw new InvalidInputException(`Invalid Entity Arn: ${arn} does not clearly define entity type and name.`);
  return { kind: m[2] as 'user' | 'role' | 'group', account: m[1]!, name: m[3]! };
}

/** The principal a simulation evaluates as (for resource policies' Principal and for the cross-account rule). */
function callerFor(arn: string, fallbackAccount: string): CallerIdentity {
  const account = arn.split(':')[4] || fallbackAccount;
  const role = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (role) {
    return { type: 'AssumedRole', accountId: account, arn, principalId: arn, session: { roleArn: arn, roleName: role[1]!, issued: 0, expires: 0 } };
  }
  const user = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return { type: 'IAMUser', accountId: account, arn, principalId: arn, ...(user ? { userName: user[1]! } : {}) };
}

function contextFrom(entries: readonly iam.ContextEntry[] | undefined): Record<string, string[]> {
  const context: Record<string, string[]> = {};
  for (const entry of entries ?? []) {
    if (!entry.ContextKeyName) continue;
    context[entry.ContextKeyName] = [...(entry.ContextKeyValues ?? [])];
  }
  return context;
}

const DECISION: Record<AuthorizeDecision['decision'], iam.PolicyEvaluationDecisionType> = {
  Allow: 'allowed',
  ExplicitDeny: 'explicitDeny',
  ImplicitDeny: 'implicitDeny',
};

/** The statements behind a decision: the denying ones for a deny, the allowing ones for an allow. */
function matchedStatements(
  decision: AuthorizeDecision,
  sets: { evaluation?: SetEvaluation; sources: SourcePolicy[] }[],
): iam.Statement[] {
  if (decision.decision === 'ImplicitDeny') return [];
  const effect = decision.decision === 'ExplicitDeny' ? 'Deny' : 'Allow';
  const statements: iam.Statement[] = [];
  for (const { evaluation, sources } of sets) {
    for (const match of evaluation?.matched ?? []) {
      if (match.effect !== effect) continue;
      const source = sources[match.policy]!;
      const position = statementPositions(source.text)[match.statement];
      statements.push({
        SourcePolicyId: source.id,
        SourcePolicyType: source.type,
        ...(position ? { StartPosition: position.start, EndPosition: position.end } : {}),
      });
    }
  }
  return statements;
}

function simulate(
  sources: Sources,
  input: { ActionNames: string[]; ResourceArns?: string[]; ContextEntries?: iam.ContextEntry[]; ResourceOwner?: string; MaxItems?: number; Marker?: string },
  caller: CallerIdentity,
): iam.SimulatePolicyResponse {
  if (input.ActionNames.length === 0) throw new InvalidInputException('ActionNames must contain at least one action.');
  const resources = input.ResourceArns && input.ResourceArns.length > 0 ? input.ResourceArns : ['*'];
  const context = contextFrom(input.ContextEntries);
  const given = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const identityCompiled: CompiledPolicy[] = sources.identity.map((s) => compilePolicy(s.text));
  const results: iam.EvaluationResult[] = [];
  for (const action of input.ActionNames) {
    for (const resource of resources) {
      const missing = new Set<string>();
      const owner = input.ResourceOwner?.split(':')[4] || input.ResourceOwner;
      const decision = authorize({
        identity: caller,
        action,
        resource,
        context,
        identityPolicies: identityCompiled,
        ...(sources.resource ? { resourcePolicies: [sources.resource.text] } : {}),
        ...(sources.boundary ? { boundary: sources.boundary.text } : {}),
        ...(owner && /^\d{12}$/.test(owner) ? { resourceAccount: owner } : {}),
        collect: true,
        missing,
      });
      const details = decision.details ?? {};
      const decidedBy = [
        { evaluation: details.identity, sources: sources.identity },
        ...(sources.resource ? [{ evaluation: details.resource, sources: [sources.resource] }] : []),
        ...(sources.boundary && decision.decision === 'ExplicitDeny' ? [{ evaluation: details.boundary, sources: [sources.boundary] }] : []),
      ];
      const result: iam.EvaluationResult = {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: DECISION[decision.decision],
        MatchedStatements: matchedStatements(decision, decidedBy),
        MissingContextValues: [...missing].filter((k) => !given.has(k.toLowerCase())),
      };
      if (sources.boundary) result.PermissionsBoundaryDecisionDetail = { AllowedByPermissionsBoundary: details.boundary?.decision === 'Allow' };
      if (sources.resource) result.EvalDecisionDetails = { 'IAM Policy': DECISION[details.identity?.decision ?? 'ImplicitDeny'], 'Resource Policy': DECISION[details.resource?.decision ?? 'ImplicitDeny'] };
      results.push(result);
    }
  }
  // Paging: the marker is the index of the next result.
  const start = input.Marker !== undefined ? Number(Buffer.from(input.Marker, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0 || start > results.length) throw new InvalidInputException('Invalid Marker.');
  const max = input.MaxItems ?? 100;
  const pageItems = results.slice(start, start + max);
  const next = start + pageItems.length;
  return next < results.length
    ? { EvaluationResults: pageItems, IsTruncated: true, Marker: Buffer.from(String(next), 'utf8').toString('base64url') }
    : { EvaluationResults: pageItems, IsTruncated: false };
}

function resourcePolicySource(text: string | undefined): SourcePolicy | undefined {
  if (text === undefined) return undefined;
  try {
    validatePolicyDocument(text, 'resource');
  } catch (error) {
    throw invalidPolicy('ResourcePolicy', error);
  }
  return { id: 'ResourcePolicy', type: 'resource', text };
}

/** The Simulate operations, to spread into the IAM provider's `operations`. */
export function simulateOperations(deps: SimulateDeps) {
  return {
    SimulateCustomPolicy: async (input: iam.SimulateCustomPolicyRequest, ctx: RequestContext): Promise<iam.SimulatePolicyResponse> => {
      const identity = checkInputPolicies(input.PolicyInputList, 'PolicyInputList', 'identity');
      const [boundary] = checkInputPolicies(input.PermissionsBoundaryPolicyInputList, 'PermissionsBoundaryPolicyInputList', 'identity');
      const resource = resourcePolicySource(input.ResourcePolicy);
      const caller = callerFor(input.CallerArn ?? `arn:aws:iam::${ctx.accountId}:user/simulated`, ctx.accountId);
      return simulate({ identity, ...(boundary ? { boundary } : {}), ...(resource ? { resource } : {}) }, input, caller);
    },

    SimulatePrincipalPolicy: async (input: iam.SimulatePrincipalPolicyRequest, ctx: RequestContext): Promise<iam.SimulatePolicyResponse> => {
      const source = parseSourceArn(input.PolicySourceArn);
      if (source.account !== ctx.accountId) throw new NoSuchEntityException(`The ${source.kind} with name ${source.name} cannot be found.`);
      const identity: SourcePolicy[] = [];
      let boundary: SourcePolicy | undefined;
      if (source.kind === 'user') {
        const user = ((await deps.invoke('GetUser', { UserName: source.name }, ctx)) as iam.GetUserResult).User;
        identity.push(...(await entityPolicies(deps, ctx, 'User', source.name)));
        for (const group of await listAll<iam.Group>(deps, ctx, 'ListGroupsForUser', { UserName: source.name }, 'Groups')) {
          identity.push(...(await entityPolicies(deps, ctx, 'Group', group.GroupName)));
        }
        boundary = await boundaryPolicy(deps, ctx, user.PermissionsBoundary);
      } else if (source.kind === 'role') {
        const role = ((await deps.invoke('GetRole', { RoleName: source.name }, ctx)) as iam.GetRoleResult).Role;
        identity.push(...(await entityPolicies(deps, ctx, 'Role', source.name)));
        boundary = await boundaryPolicy(deps, ctx, role.PermissionsBoundary);
      } else {
        await deps.invoke('GetGroup', { GroupName: source.name }, ctx);
        identity.push(...(await entityPolicies(deps, ctx, 'Group', source.name)));
      }
      identity.push(...checkInputPolicies(input.PolicyInputList, 'PolicyInputList', 'identity'));
      const [givenBoundary] = checkInputPolicies(input.PermissionsBoundaryPolicyInputList, 'PermissionsBoundaryPolicyInputList', 'identity');
      if (givenBoundary) boundary = givenBoundary;
      const resource = resourcePolicySource(input.ResourcePolicy);
      const caller = callerFor(input.CallerArn ?? input.PolicySourceArn, ctx.accountId);
      return simulate({ identity, ...(boundary ? { boundary } : {}), ...(resource ? { resource } : {}) }, input, caller);
    },
  };
}
