// Platform-level fuzzing of the small languages inside service inputs, through the official SDK
// clients: DynamoDB condition, key, filter, projection and update expressions and PartiQL
// statements, SNS filter policies (set, then matched on Publish), and ELB listener rule
// conditions. The property: every answer is the service's typed 4xx error or a success, never a
// 5xx (the SDK reports the status of whatever it got back).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BatchExecuteStatementCommand, CreateTableCommand, DynamoDBClient, ExecuteStatementCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand, SetSubscriptionAttributesCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client, type RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createServer } from 'node:net';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { fuzzParams } from './fuzz-settings.js';

/** Sends through the SDK; an error is fine when it is a 4xx (or 501) the service answered. */
async function answered(what: string, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    assert.ok(status !== undefined && (status < 500 || status === 501), `${what}: ${(error as Error).name} ${status}: ${(error as Error).message}`);
  }
}

// DynamoDB expressions: token soup over the grammar's words, with names and values that are
// sometimes declared and sometimes not.
const exprToken = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('#n', '#k', '#missing', ':v', ':n', ':l', ':missing', 'pk', 'sk', 'a', 'a.b', 'a[0]', 'a[99999999999]', 'a.b[1].c', '#n.#k', 'size', 'status', 'name') },
  { weight: 2, arbitrary: fc.constantFrom('=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN', ',', '(', ')', '[', ']', '.', '+', '-') },
  { weight: 2, arbitrary: fc.constantFrom('attribute_exists(', 'attribute_not_exists(', 'attribute_type(', 'begins_with(', 'contains(', 'size(', 'if_not_exists(', 'list_append(') },
  { weight: 1, arbitrary: fc.constantFrom('SET', 'REMOVE', 'ADD', 'DELETE', 'set', ':v)', '#n)') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const expression = fc.oneof(
  { weight: 8, arbitrary: fc.array(exprToken, { minLength: 1, maxLength: 24 }).map((t) => t.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('('.repeat(5_000) + 'a = :v' + ')'.repeat(5_000), 'NOT '.repeat(5_000) + 'a = :v', 'a' + '.a'.repeat(3_000) + ' = :v', 'a' + '[0]'.repeat(3_000) + ' = :v', 'SET ' + 'a = :v, '.repeat(2_000) + 'b = :v', 'a IN (' + ':v,'.repeat(200) + ':v)') },
);
const value: fc.Arbitrary<AttributeValue> = fc.letrec<{ v: AttributeValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.record({ S: fc.string() }),
    fc.record({ N: fc.constantFrom('1', '-1', '0', '1e400', '1E-130', 'x', '', '99999999999999999999999999999999999999999') }),
    fc.record({ BOOL: fc.boolean() }),
    fc.record({ NULL: fc.constant(true) }),
    fc.record({ SS: fc.array(fc.string(), { maxLength: 3 }) }),
    fc.record({ NS: fc.array(fc.constantFrom('1', '2', 'x'), { maxLength: 3 }) }),
    fc.record({ B: fc.uint8Array({ maxLength: 4 }) }),
    fc.record({ L: fc.array(tie('v'), { maxLength: 3 }) }),
    fc.record({ M: fc.dictionary(fc.constantFrom('a', 'b', '__proto__', ''), tie('v'), { maxKeys: 3 }) }),
  ),
})).v;
const names = fc.dictionary(fc.constantFrom('#n', '#k', '#unused', 'bad'), fc.constantFrom('a', 'pk', 'sk', 'b', '', '__proto__'), { maxKeys: 3 });
const values = fc.dictionary(fc.constantFrom(':v', ':n', ':l', ':unused', 'bad'), value, { maxKeys: 3 });

// PartiQL: statements over the language's words and literals.
const partiqlToken = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('SELECT', '*', 'FROM', '"fuzz"', '"fuzz"."by_a"', 'fuzz', 'WHERE', 'pk', 'sk', 'a', 'a.b', 'a[0]', '"a"', '=', '<>', '<', '>=', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'IS', 'MISSING', 'NULL', '?', ',', '(', ')') },
  { weight: 2, arbitrary: fc.constantFrom('INSERT', 'INTO', 'VALUE', 'UPDATE', 'SET', 'REMOVE', 'DELETE', 'RETURNING', 'ALL', 'NEW', 'OLD', 'exists(', 'begins_with(', 'contains(', 'size(', 'attribute_type(', 'list_append(', 'set_add(', 'set_delete(') },
  { weight: 2, arbitrary: fc.constantFrom("'x'", "''", "'it''s'", '1', '-1', '1e400', '<<', '>>', '<<1,2>>', '{', '}', "{'pk': 'k', 'sk': 1}", "{'a': {'b': [1, {'c': 2}]}}", '[', ']', '[1, [2, [3]]]', ':', "'") },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const statement = fc.oneof(
  { weight: 8, arbitrary: fc.array(partiqlToken, { minLength: 1, maxLength: 20 }).map((t) => t.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom(`SELECT * FROM "fuzz" WHERE ${'('.repeat(3_000)}pk = 'k'${')'.repeat(3_000)}`, `INSERT INTO "fuzz" VALUE ${"{'a': ".repeat(2_000)}1${'}'.repeat(2_000)}`, `SELECT * FROM "fuzz" WHERE pk IN [${"'k',".repeat(500)}'k']`) },
);

describe('service input languages under junk', () => {
  let p: TestPlatform;
  let ddb: DynamoDBClient;
  let sns: SNSClient;
  let elb: ElasticLoadBalancingV2Client;
  let topicArn: string;
  let queueArn: string;
  let listenerArn: string;

  before(async () => {
    p = await startPlatform({ services: ['dynamodb', 'sns', 'sqs', 'elbv2'] });
    ddb = p.client(DynamoDBClient);
    sns = p.client(SNSClient);
    elb = p.client(ElasticLoadBalancingV2Client);
    await ddb.send(
      new CreateTableCommand({
        TableName: 'fuzz',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }, { AttributeName: 'a', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [{ IndexName: 'by_a', KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      }),
    );
    for (let i = 0; i < 5; i++) {
      await ddb.send(new PutItemCommand({ TableName: 'fuzz', Item: { pk: { S: 'k' }, sk: { N: String(i) }, a: { S: `v${i}` }, l: { L: [{ N: '1' }, { M: { b: { S: 'x' } } }] }, s: { SS: ['x', 'y'] } } }));
    }
    const sqs = p.client(SQSClient);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'fuzz' }))).QueueUrl!;
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'fuzz' }))).TopicArn!;
    const lbArn = (await elb.send(new CreateLoadBalancerCommand({ Name: 'fuzz-lb' }))).LoadBalancers![0]!.LoadBalancerArn!;
    await elb.send(new CreateTargetGroupCommand({ Name: 'fuzz-tg', Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: 'vpc-1' }));
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    listenerArn = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }))).Listeners![0]!.ListenerArn!;
  });
  after(() => p.stop());

  test('DynamoDB expressions (key, filter, projection, condition, update) answer 4xx or succeed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('query', 'scan', 'update', 'put'), expression, fc.option(expression), names, values, async (kind, expr, second, n, v) => {
        const common = { TableName: 'fuzz', ExpressionAttributeNames: Object.keys(n).length ? n : undefined, ExpressionAttributeValues: Object.keys(v).length ? v : undefined };
        const what = `${kind} ${JSON.stringify({ expr: expr.slice(0, 200), second: second?.slice(0, 200), n, v }).slice(0, 600)}`;
        await answered(what, () => {
          switch (kind) {
            case 'query':
              return ddb.send(new QueryCommand({ ...common, KeyConditionExpression: expr, FilterExpression: second ?? undefined, IndexName: second && second.length % 2 ? 'by_a' : undefined }));
            case 'scan':
              return ddb.send(new ScanCommand({ ...common, FilterExpression: expr, ProjectionExpression: second ?? undefined }));
            case 'update':
              return ddb.send(new UpdateItemCommand({ ...common, Key: { pk: { S: 'k' }, sk: { N: '1' } }, UpdateExpression: expr, ConditionExpression: second ?? undefined, ReturnValues: 'ALL_NEW' }));
            default:
              return ddb.send(new PutItemCommand({ ...common, Item: { pk: { S: 'k' }, sk: { N: '9' }, x: v[':v'] ?? { S: 'x' } }, ConditionExpression: expr }));
          }
        });
      }),
      fuzzParams(200),
    );
  });

  test('PartiQL statements and parameters answer 4xx or succeed', async () => {
    await fc.assert(
      fc.asyncProperty(statement, fc.option(fc.array(value, { maxLength: 3 })), fc.boolean(), async (text, parameters, batch) => {
        await answered(`${batch ? 'batch ' : ''}${text.slice(0, 300)} ${JSON.stringify(parameters)}`, () =>
          batch
            ? ddb.send(new BatchExecuteStatementCommand({ Statements: [{ Statement: text, Parameters: parameters ?? undefined }, { Statement: text }] }))
            : ddb.send(new ExecuteStatementCommand({ Statement: text, Parameters: parameters ?? undefined })),
        );
      }),
      fuzzParams(200),
    );
  });

  test('deeply nested expressions and statements answer ValidationException (they overflowed the stack: 500)', async () => {
    const deep = '('.repeat(5_000) + 'a = :v' + ')'.repeat(5_000);
    const nots = 'NOT '.repeat(5_000) + 'a = :v';
    for (const expr of [deep, nots]) {
      await assert.rejects(ddb.send(new ScanCommand({ TableName: 'fuzz', FilterExpression: expr, ExpressionAttributeValues: { ':v': { S: 'x' } } })), (e: any) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400);
    }
    for (const text of [`SELECT * FROM "fuzz" WHERE ${'('.repeat(3_000)}pk = 'k'${')'.repeat(3_000)}`, `SELECT * FROM "fuzz" WHERE ${'NOT '.repeat(3_000)}pk = 'k'`, `INSERT INTO "fuzz" VALUE ${"{'a': ".repeat(2_000)}1${'}'.repeat(2_000)}`]) {
      await assert.rejects(ddb.send(new ExecuteStatementCommand({ Statement: text })), (e: any) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400);
    }
    // Nesting within the limit still works.
    const fine = await ddb.send(new ScanCommand({ TableName: 'fuzz', FilterExpression: `${'NOT ('.repeat(20)}a = :v${')'.repeat(20)}`, ExpressionAttributeValues: { ':v': { S: 'v1' } } }));
    assert.equal(fine.Count, 1);
  });

  test('SNS filter policies are accepted or refused with InvalidParameter, and Publish matches them without a 5xx', async () => {
    const policyValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)),
      fc.constantFrom('{"toString":["x"]}', '{"constructor":[{"exists":true}]}', '{"a":[{"numeric":[">",1,"<"]}]}', '{"a":[{"cidr":"10.0.0.0/33"}]}', '{"$or":[{"a":["x"]},{"b":[{"prefix":""}]}]}', '{"a":{"b":{"c":[{"anything-but":{"prefix":"x"}}]}}}', `{"a":${'{"a":'.repeat(300)}["x"]${'}'.repeat(300)}}`),
      fc.string(),
    );
    let subscriptionArn: string | undefined;
    await fc.assert(
      fc.asyncProperty(policyValue, fc.constantFrom('MessageAttributes', 'MessageBody', 'Bogus'), fc.dictionary(fc.constantFrom('a', 'b', 'toString', 'constructor', '__proto__'), fc.record({ DataType: fc.constantFrom('String', 'Number', 'String.Array', 'Binary'), StringValue: fc.constantFrom('x', '1', '[1,"x"]', '[', '10.1.2.3', 'NaN') }), { maxKeys: 3 }), fc.oneof(fc.json({ maxDepth: 3 }), fc.string()), async (policy, scope, attrs, message) => {
        const attributes = Object.fromEntries(Object.entries(attrs).map(([k, a]) => [k, a.DataType === 'Binary' ? { DataType: 'Binary', BinaryValue: Buffer.from(a.StringValue) } : a]));
        await answered(`policy ${policy.slice(0, 300)} (${scope})`, async () => {
          if (!subscriptionArn) {
            subscriptionArn = (await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, ReturnSubscriptionArn: true }))).SubscriptionArn!;
          }
          await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'FilterPolicyScope', AttributeValue: scope }));
          await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: policy }));
        });
        await answered(`publish under policy ${policy.slice(0, 300)} (${scope}) ${JSON.stringify(attrs)} ${message.slice(0, 200)}`, () =>
          sns.send(new PublishCommand({ TopicArn: topicArn, Message: message || 'm', MessageAttributes: attributes })),
        );
        await answered(`subscribe with policy ${policy.slice(0, 300)}`, () =>
          sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { FilterPolicy: policy, FilterPolicyScope: scope } })),
        );
      }),
      fuzzParams(100),
    );
  });

  test('ELB listener rule conditions answer 4xx or succeed', async () => {
    const condition: fc.Arbitrary<RuleCondition> = fc.record(
      {
        Field: fc.constantFrom('path-pattern', 'host-header', 'http-header', 'query-string', 'http-request-method', 'source-ip', 'bogus', ''),
        Values: fc.array(fc.oneof(fc.string(), fc.constantFrom('*', '/a/*', '?', '*.example.com', 'GET', '10.0.0.0/8', '::/0', '1.2.3.4/99', '')), { maxLength: 6 }),
        PathPatternConfig: fc.record({ Values: fc.array(fc.string(), { maxLength: 6 }) }),
        HostHeaderConfig: fc.record({ Values: fc.array(fc.string(), { maxLength: 6 }) }),
        HttpHeaderConfig: fc.record({ HttpHeaderName: fc.oneof(fc.string(), fc.constant('X-Test')), Values: fc.array(fc.string(), { maxLength: 6 }) }, { requiredKeys: [] }),
        QueryStringConfig: fc.record({ Values: fc.array(fc.record({ Key: fc.option(fc.string(), { nil: undefined }), Value: fc.string() }, { requiredKeys: [] }), { maxLength: 6 }) }),
        HttpRequestMethodConfig: fc.record({ Values: fc.array(fc.constantFrom('GET', 'get', 'BREW', '', 'POST', 'A'.repeat(50)), { maxLength: 6 }) }),
        SourceIpConfig: fc.record({ Values: fc.array(fc.constantFrom('10.0.0.0/8', '999.0.0.0/8', '::1/128', 'x', '', '1.2.3.4/-1', '1.2.3.4'), { maxLength: 6 }) }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(condition, { maxLength: 6 }), fc.integer({ min: -1, max: 60_000 }), async (conditions, priority) => {
        await answered(`CreateRule ${JSON.stringify(conditions).slice(0, 600)}`, () =>
          elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: conditions, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })),
        );
      }),
      fuzzParams(150),
    );
  });
});
