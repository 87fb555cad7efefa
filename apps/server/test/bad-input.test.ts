// Bad input gets a clear AWS-style 4xx error, never a crash or a hang, and reaches no provider.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { PlatformContext, ServiceProvider } from '@atoll/core';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

let calls = 0;
const counting = (service: string, ops: string[]) => (_p: PlatformContext): ServiceProvider => ({
  service,
  operations: Object.fromEntries(ops.map((op) => [op, () => (calls++, {})])),
});

describe('bad input', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({
      services: ['sts'],
      extraProviders: [counting('dynamodb', ['PutItem', 'ListTables']), counting('s3', ['CreateBucket', 'DeleteObjects'])],
    });
  });
  after(() => p.stop());

  const json = (target: string, body: string | Buffer) =>
    signedFetch(p.endpoint, p.credentials, {
      service: 'dynamodb',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
      body,
    });

  test('malformed JSON, wrong member types and invalid UTF-8 give SerializationException', async () => {
    for (const body of ['{"TableName": "t", ', '{"TableName": 5, "Item": {}}', '[1,2]', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
      const res = await json('PutItem', body);
      assert.equal(res.status, 400, String(body));
      assert.equal(JSON.parse(res.text).__type.split('#')[1], 'SerializationException');
    }
    assert.equal(calls, 0);
  });

  test('an unknown X-Amz-Target operation gives UnknownOperationException', async () => {
    const res = await json('DropEverything', '{}');
    assert.equal(res.status, 400);
    assert.match(res.text, /UnknownOperationException/);
  });

  test('malformed XML gives MalformedXML', async () => {
    const res = await signedFetch(p.endpoint, p.credentials, {
      service: 's3',
      method: 'POST',
      path: '/bucket',
      query: { delete: '' },
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-type': 'application/xml' },
      body: '<Delete><Object><Key>a</Key></Object>',
    });
    assert.equal(res.status, 400);
    assert.match(res.text, /<Code>MalformedXML<\/Code>/);
    assert.equal(calls, 0);
  });

  test('a form body with invalid UTF-8 gives MalformedQueryString', async () => {
    const res = await signedFetch(p.endpoint, p.credentials, {
      service: 'sts',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15&X=%FF%FE',
    });
    assert.equal(res.status, 400);
    assert.match(res.text, /<Code>MalformedQueryString<\/Code>/);
  });

  test('oversize headers get 431 and a truncated body gets no answer but no crash', async () => {
    const big = await fetch(`${p.endpoint}/`, { headers: { 'x-big': 'a'.repeat(64 * 1024) } }).catch(() => undefined);
    if (big) assert.equal(big.status, 431);
    await new Promise<void>((resolve) => {
      const url = new URL(p.endpoint);
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{"Tab');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const sts = p.client(STSClient);
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '000000000000');
    assert.equal(calls, 0);
  });
});
