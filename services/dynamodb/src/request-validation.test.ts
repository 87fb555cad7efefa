import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '@atoll/aws-models';
import { validateRequest } from './request-validation.js';

const model = await loadModel('dynamodb');
const check = (operation: string, input: Record<string, unknown>) => validateRequest(model, operation, input);

/** DynamoDB's parts come in no stable order: compare the count and the set of parts. */
function assertParts(message: string | undefined, parts: (string | RegExp)[]): void {
  assert.ok(message, 'expected a validation error');
  const prefix = `${parts.length} validation error${parts.length === 1 ? '' : 's'} detected: `;
  assert.ok(message.startsWith(prefix), message);
  const got = message.slice(prefix.length).split('; ');
  assert.equal(got.length, parts.length, message);
  for (const part of parts) {
    assert.ok(
      got.some((g) => (typeof part === 'string' ? g === part : part.test(g))),
      `missing ${part} in ${message}`,
    );
  }
}

// Source: dynalite test/createTable.js ("should return ValidationException for no TableName", "… empty TableName").
test('a table operation without TableName names the parameter, and a short name answers the length rule alone', () => {
  assert.equal(check('CreateTable', {}), "The parameter 'TableName' is required but was not present in the request");
  assert.equal(check('DescribeTable', {}), "The parameter 'TableName' is required but was not present in the request");
  assert.equal(check('CreateTable', { TableName: 'a;' }), 'TableName must be at least 3 characters long and at most 255 characters long');
  assert.equal(check('DeleteTable', { TableName: 'a'.repeat(256) }), 'TableName must be at least 3 characters long and at most 255 characters long');
});

// Source: dynalite test/createTable.js ("should return ValidationException for null attributes").
test('CreateTable lists every constraint: missing members and the table name pattern', () => {
  assertParts(check('CreateTable', { TableName: 'abc;' }), [
    "Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null",
    "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    "Value null at 'keySchema' failed to satisfy constraint: Member must not be null",
  ]);
});

// Source: dynalite test/createTable.js ("… low ProvisionedThroughput.WriteCapacityUnits", "… key element names").
test('enum, range and key schema size violations are joined in one message', () => {
  assertParts(
    check('CreateTable', {
      TableName: 'abc',
      AttributeDefinitions: [],
      KeySchema: [],
      ProvisionedThroughput: { ReadCapacityUnits: -1, WriteCapacityUnits: -1 },
      BillingMode: 'A',
    }),
    [
      "Value 'A' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
      "Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
      "Value '-1' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
      "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
  );
  assertParts(
    check('CreateTable', {
      TableName: 'abc',
      AttributeDefinitions: [{ AttributeName: 'b', AttributeType: 'SS' }],
      KeySchema: [{ KeyType: 'HASH' }, { AttributeName: 'a' }, { KeyType: 'Woop', AttributeName: 'a' }],
    }),
    [
      /^Value '\[com\.amazonaws\.dynamodb\.v20120810\.KeySchemaElement@[0-9a-f]+, .+\]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2$/,
      "Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null",
      "Value null at 'keySchema.2.member.keyType' failed to satisfy constraint: Member must not be null",
      "Value 'Woop' at 'keySchema.3.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
      "Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
    ],
  );
});

test('a GSI key schema may be longer than two elements (multi-attribute keys), a table key schema may not', () => {
  const gsi = {
    IndexName: 'multi',
    KeySchema: ['a', 'b', 'c'].map((n) => ({ AttributeName: n, KeyType: 'HASH' })),
    Projection: { ProjectionType: 'ALL' },
  };
  assert.equal(
    check('CreateTable', {
      TableName: 'abc',
      AttributeDefinitions: [{ AttributeName: 'a', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [gsi],
    }),
    undefined,
  );
});

// Source: dynalite test/query.js, test/scan.js, test/listTables.js (Limit, Select).
test('Limit and Select are checked against the model in DynamoDB words', () => {
  assertParts(check('Query', { TableName: 'abc', Limit: 0, Select: 'hi' }), [
    "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
    "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
  ]);
  assertParts(check('ListTables', { Limit: 101 }), ["Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"]);
  assertParts(check('GetItem', { TableName: 'ab', Key: {} }), [
    "Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
  ]);
  assertParts(check('GetItem', { Key: {} }), ["Value null at 'tableName' failed to satisfy constraint: Member must not be null"]);
});

// Sources: dynalite test/batchWriteItem.js and test/batchGetItem.js; botocore issue boto/boto3#483 quotes
// DynamoDB's "Value '{my-dynamodb-table=[com.amazonaws.dynamodb.v20120810.WriteRequest@caad9cb8, …' at 'requestItems'".
test('batch limits: empty RequestItems, over 25 writes or 100 keys for one table, bad table names', () => {
  assertParts(check('BatchWriteItem', { RequestItems: {} }), [
    "Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
  ]);
  const writes = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: { S: String(i) } } } }));
  assertParts(check('BatchWriteItem', { RequestItems: { tbl: writes } }), [
    /^Value '\{tbl=\[com\.amazonaws\.dynamodb\.v20120810\.WriteRequest@[0-9a-f]+, .*\]\}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$/,
  ]);
  const keys = Array.from({ length: 101 }, (_, i) => ({ id: { S: String(i) } }));
  assertParts(check('BatchGetItem', { RequestItems: { tbl: { Keys: keys } } }), [
    /^Value '\[.+\]' at 'requestItems\.tbl\.member\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$/,
  ]);
  assertParts(check('BatchGetItem', { RequestItems: { 'a;': { Keys: [{ id: { S: 'x' } }] } } }), [
    /^Value '\{a;=.+\}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: \[Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: \[a-zA-Z0-9_\.-\]\+\]$/,
  ]);
});

test('a table ARN is accepted where a table name is, and no more than 10 errors are reported', () => {
  assert.equal(check('DescribeTable', { TableName: 'arn:aws:dynamodb:us-east-1:000000000000:table/abc' }), undefined);
  const many = Array.from({ length: 12 }, () => ({ AttributeName: 'a', AttributeType: 'X' }));
  const message = check('CreateTable', { TableName: 'abc', AttributeDefinitions: many, KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }] });
  assert.match(message!, /^10 validation errors detected: /);
});
