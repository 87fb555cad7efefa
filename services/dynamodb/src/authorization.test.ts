import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dynamoDbAuthorization } from './authorization.js';

const scope = { accountId: '000000000000', region: 'eu-west-1' };
const table = (name: string) => `arn:aws:dynamodb:eu-west-1:000000000000:table/${name}`;

test('a query of an index is authorized on the index ARN', () => {
  assert.deepEqual(dynamoDbAuthorization('Query', { TableName: 'orders', IndexName: 'byCustomer' }, scope)?.resources, [`${table('orders')}/index/byCustomer`]);
  assert.deepEqual(dynamoDbAuthorization('GetItem', { TableName: table('orders') }, scope)?.resources, [table('orders')]);
});

test('batches and transactions name every table they touch, once', () => {
  assert.deepEqual(dynamoDbAuthorization('BatchGetItem', { RequestItems: { a: {}, b: {} } }, scope)?.resources, [table('a'), table('b')]);
  const transact = { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'c' } }, { Delete: { TableName: 'a' } }] };
  assert.deepEqual(dynamoDbAuthorization('TransactWriteItems', transact, scope)?.resources, [table('a'), table('c')]);
  assert.equal(dynamoDbAuthorization('ListTables', {}, scope), undefined);
});

test('PartiQL statements need the PartiQL action of their kind on their table or index', () => {
  assert.deepEqual(dynamoDbAuthorization('ExecuteStatement', { Statement: 'SELECT * FROM "orders"."byCustomer" WHERE customer = ?', Parameters: [{ S: 'c1' }] }, scope), {
    resources: [],
    also: [{ action: 'dynamodb:PartiQLSelect', resource: `${table('orders')}/index/byCustomer` }],
  });
  const batch = { Statements: [{ Statement: "INSERT INTO orders VALUE {'id': 'a'}" }, { Statement: "DELETE FROM carts WHERE id = 'x'" }, { Statement: 'NOT PARTIQL' }] };
  assert.deepEqual(dynamoDbAuthorization('BatchExecuteStatement', batch, scope)?.also, [
    { action: 'dynamodb:PartiQLInsert', resource: table('orders') },
    { action: 'dynamodb:PartiQLDelete', resource: table('carts') },
  ]);
});

test('backups, restores, exports and imports name their own ARN and the tables they read or create', () => {
  const backup = `${table('orders')}/backup/01700000000000-abcd1234`;
  assert.deepEqual(dynamoDbAuthorization('RestoreTableFromBackup', { BackupArn: backup, TargetTableName: 'copy' }, scope)?.resources, [table('copy'), backup]);
  assert.deepEqual(dynamoDbAuthorization('RestoreTableToPointInTime', { SourceTableName: 'orders', TargetTableName: 'then' }, scope)?.resources, [table('then'), table('orders')]);
  assert.deepEqual(dynamoDbAuthorization('ImportTable', { TableCreationParameters: { TableName: 'imported' } }, scope)?.resources, [table('imported')]);
  assert.deepEqual(dynamoDbAuthorization('ExportTableToPointInTime', { TableArn: table('orders') }, scope)?.resources, [table('orders')]);
});
