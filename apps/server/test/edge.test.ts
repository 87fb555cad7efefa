// The edge's behaviour that every service shares: health, metrics, authentication failures,
// malformed input, unimplemented operations, audit events, and clean shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateAccountAliasCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { signedFetch, spawnPlatform, startPlatform, type TestPlatform } from '@atoll/test-support';

describe('the edge', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts'] });
  });
  after(() => p.stop());

  test('answers liveness, readiness and Prometheus metrics', async () => {
    const health = await fetch(`${p.endpoint}/_atoll/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${p.endpoint}/_atoll/ready`);
    assert.equal(ready.status, 200);
    await p.client(STSClient).send(new GetCallerIdentityCommand({}));
    const metrics = await (await fetch(`${p.endpoint}/metrics`)).text();
    assert.match(metrics, /atoll_requests_total\{service="sts",operation="GetCallerIdentity",status="200"\} \d+/);
    assert.match(metrics, /atoll_request_duration_seconds_bucket\{le="[^"]+",service="sts",operation="GetCallerIdentity"\}/);
  });

  test('refuses a request without a signature with MissingAuthenticationToken', async () => {
    const res = await fetch(`${p.endpoint}/?Action=GetCallerIdentity&Version=2011-06-15`, {
      headers: { 'x-amz-target': 'nothing' },
    });
    // Unsigned, non-S3 requests cannot even be routed by signing name; a form request to STS can.
    assert.equal(res.status, 400);
    const form = await fetch(`${p.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sts/aws4_request' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    assert.equal(form.status, 400);
    assert.match(await form.text(), /<Code>IncompleteSignature<\/Code>/);
  });

  test('refuses a wrong secret with SignatureDoesNotMatch and an unknown key with InvalidClientTokenId', async () => {
    const wrongSecret = p.client(STSClient, { credentials: { accessKeyId: p.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    await assert.rejects(wrongSecret.send(new GetCallerIdentityCommand({})), (e: any) => {
      assert.equal(e.name, 'SignatureDoesNotMatch');
      assert.equal(e.$metadata.httpStatusCode, 403);
      return true;
    });
    const unknown = p.client(STSClient, { credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' } });
    await assert.rejects(unknown.send(new GetCallerIdentityCommand({})), (e: any) => {
      assert.equal(e.name, 'InvalidClientTokenId');
      assert.equal(e.$metadata.httpStatusCode, 403);
      return true;
    });
  });

  test('answers an unknown query action with InvalidAction', async () => {
    const res = await signedFetch(p.endpoint, p.credentials, {
      service: 'sts',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=NoSuchThing&Version=2011-06-15',
    });
    assert.equal(res.status, 400);
    assert.match(res.text, /<Code>InvalidAction<\/Code>/);
    assert.match(res.text, /<RequestId>[0-9a-f-]{36}<\/RequestId>/);
  });

  test('answers an operation Atoll does not implement with 501 NotImplemented naming it', async () => {
    const iam = p.client(IAMClient);
    await assert.rejects(iam.send(new CreateAccountAliasCommand({ AccountAlias: 'atoll-test' })), (e: any) => {
      assert.equal(e.name, 'NotImplemented');
      assert.equal(e.$metadata.httpStatusCode, 501);
      assert.match(e.message, /CreateAccountAlias/);
      return true;
    });
  });

  test('validates input against the model with the service’s validation error', async () => {
    const iam = p.client(IAMClient);
    await assert.rejects(iam.send(new CreateUserCommand({ UserName: 'x'.repeat(65) })), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.match(e.message, /^1 validation error detected: Value '(x+)' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64$/);
      return true;
    });
    const missing = await signedFetch(p.endpoint, p.credentials, {
      service: 'iam',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=CreateUser&Version=2010-05-08',
    });
    assert.equal(missing.status, 400);
    assert.match(missing.text, /Value null at 'userName' failed to satisfy constraint: Member must not be null/);
  });

  test('refuses an oversize body with 413 and stays up', async () => {
    const big = 'A'.repeat(21 * 1024 * 1024);
    const res = await fetch(`${p.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${p.credentials.accessKeyId}/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body: big,
    }).catch(() => undefined);
    if (res) assert.equal(res.status, 413);
    const ok = await p.client(STSClient).send(new GetCallerIdentityCommand({}));
    assert.equal(ok.Account, p.accountId);
  });

  // It reads the embedded engine's file; on PostgreSQL the same events are read through CloudTrail (services/cloudtrail).
  const onPostgres = process.env.ATOLL_TEST_ENGINE === 'postgres';
  test('records one CloudTrail-shaped audit event per call', { skip: onPostgres ? 'reads the SQLite audit file' : false }, async () => {
    const sts = p.client(STSClient);
    const out = await sts.send(new GetCallerIdentityCommand({}));
    // Events are written every 20 ms.
    await new Promise((r) => setTimeout(r, 60));
    const db = new Database(join(p.dataDir, 'audit', 'audit.db'), { readonly: true });
    try {
      // The trail keeps a row per batch of events, which names where the batch's text lies in the
      // trail's files (`@<file>:<offset>:<length>`).
      const batches = db.prepare('SELECT events FROM audit_batches ORDER BY seq').all() as { events: string }[];
      const text = (located: string) => {
        const [file, offset, length] = located.slice(1).split(':').map(Number) as [number, number, number];
        return readFileSync(join(p.dataDir, 'audit', 'trail', `${String(file).padStart(6, '0')}.json`)).subarray(offset, offset + length).toString('utf8');
      };
      const event = batches.flatMap((b) => JSON.parse(text(b.events)) as { eventName: string }[]).reverse().find((e) => e.eventName === 'GetCallerIdentity') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.ok(event, 'no GetCallerIdentity event in the trail');
      assert.equal(event.eventSource, 'sts.amazonaws.com');
      assert.equal(event.eventName, 'GetCallerIdentity');
      assert.equal(event.awsRegion, 'us-east-1');
      assert.equal(event.requestID, out.$metadata.requestId);
      assert.equal(event.readOnly, true);
      assert.equal(event.userIdentity.type, 'Root');
      assert.equal(event.userIdentity.accessKeyId, p.credentials.accessKeyId);
      assert.equal(event.sourceIPAddress, '127.0.0.1');
      assert.match(event.userAgent, /aws-sdk-js/);
      assert.match(event.eventID, /^[0-9a-f-]{36}$/);
      for (const key of ['eventTime', 'requestParameters', 'responseElements']) assert.ok(key in event, key);
    } finally {
      db.close();
    }
  });
});

describe('the permissive mode', () => {
  test('accepts any key when asked for by name, and still records the caller', async () => {
    const p = await startPlatform({ services: ['sts'], config: { authMode: 'permissive' } });
    try {
      const sts = p.client(STSClient, { credentials: { accessKeyId: 'AKIAANYTHING', secretAccessKey: 'whatever' } });
      const out = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(out.Arn, `arn:aws:iam::${p.accountId}:root`);
    } finally {
      await p.stop();
    }
  });
});

describe('the server process', () => {
  test('prints the root key once, and exits 0 on SIGTERM after closing its databases', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-proc-'));
    try {
      const first = await spawnPlatform({ dataDir, args: ['--services', 'sts,iam'] });
      try {
        assert.match(first.output(), /AWS_SECRET_ACCESS_KEY=/);
        const sts = new STSClient({ endpoint: first.endpoint, region: 'us-east-1', credentials: first.credentials });
        assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '000000000000');
        sts.destroy();
        assert.deepEqual(await first.kill('SIGTERM'), { code: 0, signal: null });
      } finally {
        await first.kill('SIGKILL');
      }
      const second = await spawnPlatform({ dataDir, args: ['--services', 'sts'] });
      try {
        assert.doesNotMatch(second.output(), /AWS_SECRET_ACCESS_KEY=/);
        assert.equal(second.credentials.accessKeyId, first.credentials.accessKeyId);
        assert.deepEqual(await second.kill('SIGTERM'), { code: 0, signal: null });
      } finally {
        await second.kill('SIGKILL');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
