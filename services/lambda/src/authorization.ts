// What a Lambda call asks of IAM: Invoke is lambda:InvokeFunction, and the resource is the
// function's ARN (qualified when the call names a version or alias), whichever way the call names it.
// Giving a function its execution role (CreateFunction, UpdateFunctionConfiguration with Role) also
// asks iam:PassRole on the role, as AWS does.
import type { IamRequest } from '@atoll/core';

const ACTIONS: Record<string, string> = { Invoke: 'lambda:InvokeFunction', InvokeWithResponseStream: 'lambda:InvokeFunction' };

export function lambdaAuthorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest {
  const action = ACTIONS[operation];
  const role = (operation === 'CreateFunction' || operation === 'UpdateFunctionConfiguration') && typeof input.Role === 'string' && input.Role !== '' ? input.Role : undefined;
  const also = role ? { also: [{ action: 'iam:PassRole', resource: role }] } : {};
  const name = input.FunctionName;
  if (typeof name !== 'string' || name === '') return { action, ...also };
  let arn: string;
  if (name.startsWith('arn:')) arn = name;
  else if (/^\d{12}:function:/.test(name)) arn = `arn:aws:lambda:${scope.region}:${name}`;
  else arn = `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  const qualified = typeof input.Qualifier === 'string' && arn.split(':').length === 7 ? `${arn}:${input.Qualifier}` : arn;
  return { action, resources: [qualified], ...also };
}
