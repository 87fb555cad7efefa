// The console's server side over plain HTTP: assets under a strict CSP, sign-in verified by a signed
// STS probe, the session cookie's flags, CSRF and origin checks, calls that go through the edge (IAM
// refuses a user without permission; CloudTrail records the call) and the live-update stream.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { SQSClient, CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { startAtoll } from '@atoll/server';
import { loadConfig } from '@atoll/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let platform: TestPlatform;
let base: string;

async function signIn(accessKeyId: string, secretAccessKey: string): Promise<{ cookie: string; csrf: string; res: Response }> {
  const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessKeyId, secretAccessKey }) });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const body = (await res.clone().json()) as { csrf?: string };
  return { cookie, csrf: body.csrf ?? '', res };
}

function callApi(cookie: string, csrf: string | undefined, payload: unknown, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...(csrf ? { 'x-atoll-csrf': csrf } : {}), ...extra },
    body: JSON.stringify(payload),
  });
}

before(async () => {
  platform = await startPlatform({ services: ['sqs', 'iam', 'sts', 'cloudtrail'] });
  base = `${platform.endpoint}/_atoll/console`;
});

after(async () => {
  await platform?.stop();
});

describe('console over HTTP', () => {
  it('serves the app with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is an external file');
    const js = await fetch(`${base}/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${base}/assets/..%2Fsecret`)).status, 404);
  });

  it('refuses a wrong secret with the edge\'s own error and opens no session', async () => {
    const { res } = await signIn(platform.credentials.accessKeyId, 'x'.repeat(40));
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'SignatureDoesNotMatch');
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('signs in with a key pair into an HttpOnly, SameSite=Strict cookie without echoing the secret', async () => {
    const { cookie, csrf, res } = await signIn(platform.credentials.accessKeyId, platform.credentials.secretAccessKey);
    assert.equal(res.status, 200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(csrf.length > 20);
    const text = JSON.stringify(await res.json());
    assert.ok(!text.includes(platform.credentials.secretAccessKey), 'the secret never goes back to the browser');
    const session = await fetch(`${base}/api/session`, { headers: { cookie } });
    assert.equal(((await session.json()) as { arn: string }).arn, `arn:aws:iam::${platform.accountId}:root`);
  });

  it('requires the CSRF token and a same-origin request for a state-changing call', async () => {
    const { cookie, csrf } = await signIn(platform.credentials.accessKeyId, platform.credentials.secretAccessKey);
    const missing = await callApi(cookie, undefined, { service: 'sqs', operation: 'CreateQueue', input: { QueueName: 'csrf-q' } });
    assert.equal(missing.status, 403);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'InvalidCsrfToken');
    const foreign = await callApi(cookie, csrf, { service: 'sqs', operation: 'CreateQueue', input: { QueueName: 'csrf-q' } }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    const ok = await callApi(cookie, csrf, { service: 'sqs', operation: 'CreateQueue', input: { QueueName: 'csrf-q' } });
    assert.equal(ok.status, 200);
    assert.match(((await ok.json()) as { QueueUrl: string }).QueueUrl, /csrf-q$/);
    const anonymous = await callApi('', csrf, { service: 'sqs', operation: 'ListQueues', input: {} });
    assert.equal(anonymous.status, 401);
  });

  it('acts as the signed-in IAM user: a call without permission is refused by IAM', async () => {
    const iam = platform.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'no-rights' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'no-rights' }))).AccessKey!;
    const { cookie, csrf, res } = await signIn(key.AccessKeyId!, key.SecretAccessKey!);
    assert.equal(res.status, 200, await res.clone().text());
    const refused = await callApi(cookie, csrf, { service: 'sqs', operation: 'ListQueues', input: {} });
    const body = (await refused.json()) as { error: { code: string; message: string } };
    // The edge's own answer, relayed as is (SQS's JSON protocol answers AccessDenied with HTTP 400).
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.match(body.error.code, /AccessDenied/);
    assert.match(body.error.message, /no-rights is not authorized to perform: sqs:ListQueues/);
  });

  it('streams changed answers of watched read-only calls and refuses a watched write', async () => {
    const sqs = platform.client(SQSClient);
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'live-q' }))).QueueUrl!;
    const { cookie } = await signIn(platform.credentials.accessKeyId, platform.credentials.secretAccessKey);
    const bad = await fetch(`${base}/api/events?watch=${encodeURIComponent(JSON.stringify([{ id: 'x', service: 'sqs', operation: 'PurgeQueue', input: { QueueUrl: url } }]))}`, { headers: { cookie } });
    assert.equal(bad.status, 400);
    const watchList = [{ id: 'q', service: 'sqs', operation: 'GetQueueAttributes', input: { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] } }];
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events?watch=${encodeURIComponent(JSON.stringify(watchList))}`, { headers: { cookie }, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const depths: string[] = [];
    let sent = false;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !depths.includes('1')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (const m of text.matchAll(/event: update\ndata: (.*)\n\n/g)) {
        const depth = (JSON.parse(m[1]!) as { output: { Attributes: { ApproximateNumberOfMessages: string } } }).output.Attributes.ApproximateNumberOfMessages;
        if (depths[depths.length - 1] !== depth) depths.push(depth);
      }
      if (depths.includes('0') && !sent) {
        sent = true;
        await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hello' }));
      }
    }
    controller.abort();
    assert.deepEqual(depths.slice(0, 2), ['0', '1']);
  });

  it('opens a root session from the printed one-time sign-in link, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-console-link-'));
    const atoll = await startAtoll(loadConfig([], {}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' }), { services: ['sts', 'iam'] });
    try {
      const link = atoll.consoleSignInLink();
      assert.ok(link, 'a loopback listener offers a link');
      const first = await fetch(link, { redirect: 'manual' });
      assert.equal(first.status, 303);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
      const session = await fetch(`${atoll.endpoint}/_atoll/console/api/session`, { headers: { cookie } });
      assert.equal(((await session.json()) as { arn: string }).arn, `arn:aws:iam::${atoll.config.accountId}:root`);
      const again = await fetch(link, { redirect: 'manual' });
      assert.equal(again.status, 401);
      assert.equal(again.headers.get('set-cookie'), null);
    } finally {
      await atoll.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
