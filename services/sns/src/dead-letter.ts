// Subscription dead-letter queues: a message that cannot be delivered to a subscription (its queue
// or function is gone, its HTTP endpoint keeps failing) goes to the SQS queue named by the
// subscription's RedrivePolicy, through SQS's public SendMessage, with the error as attributes. SNS
// sends as its service principal for the topic: the queue's policy must allow it (as in AWS).
import type { Logger, PlatformContext } from '@atoll/core';
import { parseQueueArn, snsServiceIdentity } from './delivery.js';
import type { DeadLetter } from './sns-records.js';

export function deadLetterSender(platform: PlatformContext, logger: Logger): DeadLetter {
  return (policy, body, errorCode, errorMessage, topicArn) => {
    if (!policy) return;
    let target: string | undefined;
    try {
      target = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    } catch {
      return;
    }
    const queue = target ? parseQueueArn(target) : undefined;
    if (!queue) return;
    platform
      .call(
        'sqs',
        'SendMessage',
        {
          QueueUrl: `${platform.endpoint()}/${queue.accountId}/${queue.name}`,
          MessageBody: body,
          MessageAttributes: {
            ErrorCode: { DataType: 'String', StringValue: errorCode },
            ErrorMessage: { DataType: 'String', StringValue: errorMessage.slice(0, 1000) || errorCode },
          },
          ...(queue.name.endsWith('.fifo') ? { MessageGroupId: 'sns-dlq', MessageDeduplicationId: `${Date.now()}-${Math.random()}` } : {}),
        },
        { accountId: queue.accountId, region: queue.region, ...(topicArn ? { identity: snsServiceIdentity(topicArn) } : {}) },
      )
      .catch((error: unknown) => logger.warn({ err: error, deadLetterTargetArn: target }, 'sns dead-letter queue delivery failed'));
  };
}
