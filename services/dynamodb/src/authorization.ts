// What a DynamoDB call asks of IAM: the ARNs of the tables (and index) it reads or writes, batches
// and transactions naming every table they touch; backups, exports and imports name their own ARN
// and the tables they read or create. PartiQL statements are authorized as AWS does:
// dynamodb:PartiQLSelect, PartiQLInsert, PartiQLUpdate or PartiQLDelete on the statement's table.
import type { IamRequest } from '@atoll/core';
import type { AttributeValue } from './attribute-value.js';
import { parseStatement } from './partiql.js';

const PARTIQL_ACTIONS = { SELECT: 'dynamodb:PartiQLSelect', INSERT: 'dynamodb:PartiQLInsert', UPDATE: 'dynamodb:PartiQLUpdate', DELETE: 'dynamodb:PartiQLDelete' } as const;

/** The action and table (or index) ARN of one statement; undefined when it does not parse (the call then fails). */
function partiqlCheck(statement: unknown, parameters: unknown, tableArn: (name: string) => string): { action: string; resource: string } | undefined {
  if (typeof statement !== 'string') return undefined;
  try {
    const st = parseStatement(statement, (Array.isArray(parameters) ? parameters : []) as AttributeValue[]);
    const table = tableArn(st.table);
    return { action: PARTIQL_ACTIONS[st.kind], resource: st.kind === 'SELECT' && st.index ? `${table}/index/${st.index}` : table };
  } catch {
    return undefined;
  }
}

type Input = Record<string, unknown>;

export function dynamoDbAuthorization(operation: string, input: Input, scope: { accountId: string; region: string }): IamRequest | undefined {
  const table = (name: unknown): string | undefined =>
    typeof name !== 'string' || name === '' ? undefined : name.startsWith('arn:') ? name : `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${name}`;
  if (operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement' || operation === 'ExecuteTransaction') {
    const statements = (operation === 'ExecuteStatement' ? [input] : ((input.Statements ?? input.TransactStatements ?? []) as Input[])).map((s) =>
      partiqlCheck(s?.Statement, s?.Parameters, (name) => table(name)!),
    );
    // A statement that does not parse fails the call on its own; the others are still checked.
    return { resources: [], also: statements.filter((c) => c !== undefined) };
  }
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
  for (const name of ['TargetTableName', 'SourceTableName'] as const) add(input[name]);
  for (const name of ['ResourceArn', 'StreamArn', 'TableArn', 'SourceTableArn', 'BackupArn', 'ExportArn', 'ImportArn'] as const) {
    if (typeof input[name] === 'string') tables.add(input[name] as string);
  }
  // ImportTable creates the table its parameters name.
  add((input.TableCreationParameters as Input | undefined)?.TableName);
  return tables.size > 0 ? { resources: [...tables] } : undefined;
}
