// Sends invocation records to destinations (SQS queues, SNS topics, other functions) and failed
// events to dead-letter queues, through those services' public operations.
import type { Logger, PlatformContext, CallContext } from '@atoll/core';

export interface DestinationSender {
  /** Delivers a JSON document to an SQS queue, SNS topic or Lambda function (asynchronously). */
  send(arn: string, body: string, scope: { account: string; region: string }, attributes?: Record<string, { DataType: string; StringValue: string }>): Promise<void>;
}

export function createDestinationSender(
  platform: PlatformContext,
  logger: Logger,
  invokeAsync: (arn: string, payload: Buffer, scope: { account: string; region: string }) => Promise<void>,
): DestinationSender {
  return {
    async send(arn, body, scope, attributes) {
      const parts = arn.split(':');
      const service = parts[2];
      const ctx: CallContext = { accountId: parts[4] || scope.account, region: parts[3] || scope.region };
      try {
        if (service === 'sqs') {
          const { QueueUrl } = await platform.call<{ QueueUrl: string }>('sqs', 'GetQueueUrl', { QueueName: parts[5], QueueOwnerAWSAccountId: parts[4] }, ctx);
          await platform.call('sqs', 'SendMessage', { QueueUrl, MessageBody: body, ...(attributes ? { MessageAttributes: attributes } : {}) }, ctx);
        } else if (service === 'sns') {
          await platform.call('sns', 'Publish', { TopicArn: arn, Message: body, ...(attributes ? { MessageAttributes: attributes } : {}) }, ctx);
        } else if (service === 'lambda') {
          await invokeAsync(arn, Buffer.from(body), scope);
        } else if (service === 'events') {
          await platform.call('eventbridge', 'PutEvents', { Entries: [{ Source: 'lambda', DetailType: 'Lambda Function Invocation Result', Detail: body, EventBusName: arn }] }, ctx);
        } else {
          throw new Error(`unsupported destination ${arn}`);
        }
      } catch (error) {
        logger.warn({ err: error, destination: arn }, 'lambda: delivery to a destination failed');
        throw error;
      }
    },
  };
}
