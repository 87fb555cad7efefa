// What a Secrets Manager call asks of IAM: the action is `secretsmanager:<Operation>`, and the
// resource is the secret's ARN (found from its name through the store's cache), or `*` for the
// account-wide operations (ListSecrets, GetRandomPassword, BatchGetSecretValue with filters).
// CreateSecret names `secret:<Name>-??????`, the ARN's shape before its suffix is chosen, so a policy
// on `secret:<Name>-*` covers it. BatchGetSecretValue with a list also asks GetSecretValue on each.
import type { IamRequest } from '@atoll/core';

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`, parsed. */
export function parseSecretArn(arn: string): { region: string; accountId: string; rest: string } | undefined {
  const m = /^arn:aws[a-z-]*:secretsmanager:([^:]+):(\d{12}):secret:(.+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, rest: m[3]! } : undefined;
}

export type ArnResolver = (secretId: string, scope: { accountId: string; region: string }) => Promise<string | undefined>;

export async function secretsAuthorization(
  operation: string,
  input: Record<string, unknown>,
  scope: { accountId: string; region: string },
  resolve: ArnResolver,
): Promise<IamRequest | undefined> {
  if (operation === 'CreateSecret' && typeof input.Name === 'string') {
    return { resources: [`arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${input.Name}-??????`] };
  }
  if (operation === 'BatchGetSecretValue' && Array.isArray(input.SecretIdList)) {
    const also: { action: string; resource: string }[] = [];
    for (const id of input.SecretIdList) {
      if (typeof id !== 'string') continue;
      const arn = await resolve(id, scope);
      if (arn) also.push({ action: 'secretsmanager:GetSecretValue', resource: arn });
    }
    return { resources: ['*'], also };
  }
  if (typeof input.SecretId === 'string') {
    const arn = await resolve(input.SecretId, scope);
    return arn ? { resources: [arn] } : undefined;
  }
  return undefined;
}
