// What an SQS call asks of IAM: batch operations are authorized as their single forms (as in AWS),
// and the resource is the queue's ARN, from its URL or its name.
import type { IamRequest } from '@atoll/core';
import { parseQueueUrl } from './queue-url.js';

const BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'sqs:SendMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
};

export function sqsAuthorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest {
  const action = BATCH_ACTIONS[operation];
  const queue = parseQueueUrl(input.QueueUrl ?? input.QueueName);
  if (queue) {
    const account = queue.accountId ?? (typeof input.QueueOwnerAWSAccountId === 'string' ? input.QueueOwnerAWSAccountId : scope.accountId);
    return { action, resources: [`arn:aws:sqs:${scope.region}:${account}:${queue.name}`] };
  }
  return { action, resources: typeof input.SourceArn === 'string' ? [input.SourceArn] : undefined };
}
