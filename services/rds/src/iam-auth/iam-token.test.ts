import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseToken, verifyToken } from './iam-token.js';

const owner = { accountId: '000000000000', region: 'us-east-1', resourceId: 'db-ABC', port: 5500 };
const token = (user: string, port = 5500) => `127.0.0.1:${port}/?Action=connect&DBUser=${user}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc`;

describe('IAM database authentication tokens', () => {
  it('parses host, port and query', () => {
    const parsed = parseToken(token('alice'));
    assert.equal(parsed?.host, '127.0.0.1:5500');
    assert.equal(parsed?.query.get('DBUser'), 'alice');
    assert.equal(parseToken('password123'), undefined);
  });

  it('asks the platform to authorize rds-db:connect on the dbuser ARN', async () => {
    const asked: unknown[] = [];
    const ok = await verifyToken(owner, 'alice', token('alice'), async (request, service, check) => {
      asked.push({ url: request.url, host: request.headers.host, service, check });
    });
    assert.equal(ok, true);
    assert.deepEqual(asked, [
      {
        url: '/?Action=connect&DBUser=alice&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc',
        host: '127.0.0.1:5500',
        service: 'rds-db',
        check: { action: 'rds-db:connect', resources: ['arn:aws:rds-db:us-east-1:000000000000:dbuser:db-ABC/alice'] },
      },
    ]);
  });

  it('refuses another user, another port, and a refused signature without asking twice', async () => {
    let calls = 0;
    const allow = async () => void calls++;
    assert.equal(await verifyToken(owner, 'bob', token('alice'), allow), false);
    assert.equal(await verifyToken(owner, 'alice', token('alice', 5501), allow), false);
    assert.equal(calls, 0);
    assert.equal(await verifyToken(owner, 'alice', token('alice'), async () => Promise.reject(new Error('SignatureDoesNotMatch'))), false);
  });
});
