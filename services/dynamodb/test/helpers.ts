// Shared setup for the end-to-end tests: a real platform serving DynamoDB and DynamoDB Streams.
import { DynamoDBClient, CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

export async function start(): Promise<{ platform: TestPlatform; ddb: DynamoDBClient }> {
  const platform = await startPlatform({ services: ['dynamodb', 'dynamodbstreams'] });
  return { platform, ddb: platform.client(DynamoDBClient) };
}

export async function createTable(ddb: DynamoDBClient, name: string, extra: Partial<CreateTableCommandInput> = {}, range: 'S' | 'N' | undefined = 'S'): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(range ? [{ AttributeName: 'sk', AttributeType: range }] : [])],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
      BillingMode: 'PAY_PER_REQUEST',
      ...extra,
    }),
  );
}

/** Runs `fn` and returns the error it throws (failing when it does not throw). */
export type SdkError = Error & { $metadata: { httpStatusCode?: number }; [k: string]: unknown };

export async function failure(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to fail');
}
