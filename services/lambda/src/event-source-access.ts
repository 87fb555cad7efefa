// CreateEventSourceMapping's check that the function's execution role may read the event source,
// with Lambda's messages: the role's identity policies are simulated (IAM SimulatePrincipalPolicy)
// for the actions the poller needs on the source's ARN.
//
// Known limitations: when IAM does not implement SimulatePrincipalPolicy (or is not served) the
// check is skipped and a missing permission shows later as the mapping's LastProcessingResult; the
// source's own resource policy is not part of the check (as in Lambda's own check).
import type { PlatformContext } from '@atoll/core';
import { LambdaErrors } from './lambda-errors.js';
import type { SourceKind } from './event-source-mapping-api.js';
import type { Scope } from './function-names.js';

/** What each kind of poller calls on its source (AWSLambdaSQSQueueExecutionRole / AWSLambdaDynamoDBExecutionRole). */
const NEEDED: Record<SourceKind, string[]> = {
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  dynamodb: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords', 'dynamodb:ListStreams'],
};

interface SimulateOutput {
  EvaluationResults?: { EvalActionName: string; EvalDecision: string }[];
}

/** Throws InvalidParameterValueException when the role's policies do not allow the poller's calls. */
export async function checkSourceAccess(platform: PlatformContext, scope: Scope, role: string, kind: SourceKind, sourceArn: string): Promise<void> {
  if (platform.config.authMode === 'permissive') return;
  let out: SimulateOutput;
  try {
    out = await platform.call<SimulateOutput>('iam', 'SimulatePrincipalPolicy', { PolicySourceArn: role, ActionNames: NEEDED[kind], ResourceArns: [sourceArn] }, { accountId: scope.account, region: scope.region });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'UnknownService' || code === 'NotImplemented' || code === 'UnknownOperationException') return;
    if (code === 'NoSuchEntity') throw LambdaErrors.invalidParameter('The role defined for the function cannot be assumed by Lambda.');
    throw error;
  }
  const denied = (out.EvaluationResults ?? []).filter((r) => r.EvalDecision !== 'allowed').map((r) => r.EvalActionName);
  if (denied.length === 0) return;
  if (kind === 'sqs') {
    const action = NEEDED.sqs.find((a) => denied.includes(a))!.slice('sqs:'.length);
    throw LambdaErrors.invalidParameter(`The provided execution role does not have permissions to call ${action} on SQS`);
  }
  throw LambdaErrors.invalidParameter(`Cannot access stream ${sourceArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`);
}
