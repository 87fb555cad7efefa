// Roles for workloads in tests: an IAM role whose trust policy lets a service principal assume it
// (Lambda's execution role, an ECS task role), with inline policies. Made over raw signed IAM
// query requests, so that this package needs no IAM client.
import type { TestPlatform } from './start-platform.js';
import { signedFetch } from './signed-fetch.js';

export interface RoleOptions {
  /** The service principal the trust policy names (default `lambda.amazonaws.com`). */
  service?: string;
  /**
   * Inline policies by name: a policy document, or statements. Default: one policy allowing every
   * action (for tests that do not exercise permissions); `{}` for none.
   */
  policies?: Record<string, unknown>;
}

/** What the helpers need of a platform (a TestPlatform or a SpawnedPlatform). */
export type RolePlatform = Pick<TestPlatform, 'endpoint' | 'credentials'> & { accountId?: string };

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

async function iam(platform: RolePlatform, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  const response = await signedFetch(platform.endpoint, platform.credentials, {
    service: 'iam',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (response.status >= 300 && !response.text.includes('EntityAlreadyExists')) {
    throw new Error(`IAM ${params.Action} failed (${response.status}): ${response.text}`);
  }
  return response.text;
}

/** Creates (or finds) a role a service may assume, puts its inline policies, and returns its ARN. */
export async function createServiceRole(platform: RolePlatform, name: string, options: RoleOptions = {}): Promise<string> {
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: options.service ?? 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  await iam(platform, { Action: 'CreateRole', RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
  for (const [policyName, policy] of Object.entries(options.policies ?? { 'allow-all': ALLOW_ALL })) {
    const document = Array.isArray(policy) ? { Version: '2012-10-17', Statement: policy } : policy;
    await iam(platform, { Action: 'PutRolePolicy', RoleName: name, PolicyName: policyName, PolicyDocument: JSON.stringify(document) });
  }
  return `arn:aws:iam::${platform.accountId ?? '000000000000'}:role/${name}`;
}

/** A Lambda execution role (trusting `lambda.amazonaws.com`); see createServiceRole. */
export function createLambdaRole(platform: RolePlatform, name = 'lambda-role', policies?: RoleOptions['policies']): Promise<string> {
  return createServiceRole(platform, name, { service: 'lambda.amazonaws.com', ...(policies ? { policies } : {}) });
}

/**
 * A queue `Policy` that lets a service principal (`sns.amazonaws.com`, `s3.amazonaws.com`) send to
 * the queue for resources matching `sourceArn` (ArnLike: wildcards allowed), as AWS's tutorials write it.
 */
export function queuePolicyAllowing(queueArn: string, service: string, sourceArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Sid: `allow-${service.split('.')[0]}`,
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnLike: { 'aws:SourceArn': sourceArn } },
    }],
  });
}
