// What a Lambda call asks of IAM: Invoke is lambda:InvokeFunction, and the resource is the
// function's ARN (qualified when the call names a version or alias), whichever way the call names it.
import type { IamRequest } from '@atoll/core';

const ACTIONS: Record<string, string> = { Invoke: 'lambda:InvokeFunction', InvokeWithResponseStream: 'lambda:InvokeFunction' };

export function lambdaAuthorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest {
  const action = ACTIONS[operation];
  const name = input.FunctionName;
  if (typeof name !== 'string' || name === '') return { action };
  let arn: string;
  if (name.startsWith('arn:')) arn = name;
  else if (/^\d{12}:function:/.test(name)) arn = `arn:aws:lambda:${scope.region}:${name}`;
  else arn = `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  const qualified = typeof input.Qualifier === 'string' && arn.split(':').length === 7 ? `${arn}:${input.Qualifier}` : arn;
  return { action, resources: [qualified] };
}
