// AssumeRoleWithWebIdentity through the SDK, against a local OIDC issuer (discovery document and JWKS
// served on the loopback, keys made by jose) registered with IAM's CreateOpenIDConnectProvider.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';

const rejectsWith = async (promise: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });

describe('STS AssumeRoleWithWebIdentity', () => {
  let p: TestPlatform;
  let idp: Server;
  let issuer: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let jwksFetches = 0;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/web-app`;

  const token = (claims: Record<string, unknown> = {}, options: { signWith?: CryptoKey; expiresIn?: string | number; iss?: string } = {}) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer(options.iss ?? issuer)
      .setSubject((claims.sub as string | undefined) ?? 'repo:org/app:ref:refs/heads/main')
      .setAudience((claims.aud as string | undefined) ?? 'client-1')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m')
      .sign(options.signWith ?? key);

  before(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    idp = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      if (req.url === '/jwks') {
        jwksFetches++;
        return res.end(JSON.stringify({ keys: [jwk] }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;

    p = await startPlatform({ services: ['iam', 'sts'] });
    const iam = p.client(IAMClient);
    const provider = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: ['client-1'], ThumbprintList: ['a'.repeat(40)] }));
    const host = issuer.replace('http://', '');
    assert.equal(provider.OpenIDConnectProviderArn, `arn:aws:iam::${ACCOUNT}:oidc-provider/${host}`);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'web-app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: provider.OpenIDConnectProviderArn },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: { StringEquals: { [`${host}:aud`]: 'client-1' }, StringLike: { [`${host}:sub`]: 'repo:org/*' } },
            },
          ],
        }),
      }),
    );
  });
  after(async () => {
    await p.stop();
    idp.close();
  });

  const sts = () => p.client(STSClient);
  const assume = async (webToken: string | Promise<string>, extra: Record<string, unknown> = {}) =>
    sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'web', WebIdentityToken: await webToken, ...extra }));

  test('issues role credentials for a token of a registered issuer that the trust policy accepts', async () => {
    const out = await assume(token());
    assert.equal(out.SubjectFromWebIdentityToken, 'repo:org/app:ref:refs/heads/main');
    assert.equal(out.Audience, 'client-1');
    assert.equal(out.Provider, issuer);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/web-app/web`);
    const c = out.Credentials!;
    assert.match(c.AccessKeyId!, /^ASIA/);
    const me = await p.client(STSClient, { credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, out.AssumedRoleUser!.Arn);
  });

  test('keeps the issuer keys between calls', async () => {
    const before = jwksFetches;
    await assume(token());
    await assume(token());
    assert.equal(jwksFetches, before);
  });

  test('refuses a token for another audience, signed with another key, or expired', async () => {
    await rejectsWith(assume(token({ aud: 'client-2' })), 'InvalidIdentityTokenException', 400, /Incorrect token audience/);
    await rejectsWith(assume(token({}, { signWith: otherKey })), 'InvalidIdentityTokenException', 400);
    await rejectsWith(assume(token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 })), 'ExpiredTokenException', 400, /Token expired/);
    await rejectsWith(assume('not.a.jwt'), 'InvalidIdentityTokenException', 400);
  });

  test('refuses a subject the trust policy does not accept with AccessDenied', async () => {
    await rejectsWith(assume(token({ sub: 'repo:evil/app' })), 'AccessDenied', 403, /^Not authorized to perform sts:AssumeRoleWithWebIdentity$/);
  });

  test('refuses an issuer with no provider in IAM, and answers IDPCommunicationError when the issuer cannot be reached', async () => {
    await rejectsWith(assume(token({}, { iss: 'https://unknown.example.com' })), 'InvalidIdentityTokenException', 400, /No OpenIDConnect provider found in your account for https:\/\/unknown\.example\.com/);
    // A provider registered for an issuer that does not answer.
    const iam = p.client(IAMClient);
    const dead = 'http://127.0.0.1:9';
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: dead, ClientIDList: ['client-1'], ThumbprintList: ['b'.repeat(40)] }));
    await rejectsWith(assume(token({}, { iss: dead })), 'IDPCommunicationErrorException', 400);
  });
});
