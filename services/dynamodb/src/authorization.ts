// What a DynamoDB call asks of IAM: the ARNs of the tables (and index) it reads or writes, batches
// and transactions naming every table they touch. PartiQL statements are authorized against `*`.
import type { IamRequest } from '@atoll/core';

type Input = Record<string, unknown>;

export function dynamoDbAuthorization(operation: string, input: Input, scope: { accountId: string; region: string }): IamRequest | undefined {
  const table = (name: unknown): string | undefined =>
    typeof name !== 'string' || name === '' ? undefined : name.startsWith('arn:') ? name : `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${name}`;
  const tables = new Set<string>();
  const add = (name: unknown) => {
    const arn = table(name);
    if (arn) tables.add(arn);
  };
  if (input.RequestItems && typeof input.RequestItems === 'object') for (const name of Object.keys(input.RequestItems)) add(name);
  if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems as Input[]) {
      for (const part of Object.values(item ?? {})) add((part as Input | undefined)?.TableName);
    }
  }
  const main = table(input.TableName);
  if (main) tables.add(typeof input.IndexName === 'string' ? `${main}/index/${input.IndexName}` : main);
  for (const name of ['ResourceArn', 'StreamArn', 'TableArn'] as const) if (typeof input[name] === 'string') tables.add(input[name] as string);
  return tables.size > 0 ? { resources: [...tables] } : undefined;
}
