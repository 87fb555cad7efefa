// Builds the `edge.ApiCallCompleted` event (packages/core/src/api-call-event.ts) from a finished
// request; the pipeline calls it only when the bus has a subscriber.
import type { ApiCallCompletedDetail, ApiCallResources } from '@atoll/core';

export function apiCallDetail(
  service: string,
  operation: string,
  status: number,
  errorCode: string | undefined,
  durationMs: number,
  time: number,
  input: Record<string, unknown> | undefined,
  output: unknown,
): ApiCallCompletedDetail {
  const resources: ApiCallResources = {};
  if (input) {
    const url = input.QueueUrl;
    if (typeof url === 'string') resources.queueName = url.slice(url.lastIndexOf('/') + 1);
    else if (typeof input.QueueName === 'string') resources.queueName = input.QueueName;
    if (typeof input.TopicArn === 'string') resources.topicArn = input.TopicArn;
    if (typeof input.TableName === 'string') resources.tableName = input.TableName;
    if (typeof input.Bucket === 'string') resources.bucket = input.Bucket;
    if (typeof input.FunctionName === 'string') resources.functionName = input.FunctionName;
  }
  return { service, operation, status, ...(errorCode ? { errorCode } : {}), durationMs, time, resources, input, output };
}
