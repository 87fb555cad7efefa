// API Gateway v2's control plane (/v2/apis …) and ECR's OCI registry (/v2/<repository>/…) share the
// /v2/ prefix on the edge listener. Found by the edge fuzzer: once the registry was active, every
// apigatewayv2 call answered the registry's 401. Signed AWS calls now pass the registry by.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiGatewayV2Client, CreateApiCommand, GetApiCommand } from '@aws-sdk/client-apigatewayv2';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

describe('the /v2/ prefix shared by API Gateway v2 and the OCI registry', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'ecr'] });
  });
  after(() => p.stop());

  test('API Gateway v2 calls reach API Gateway while the registry is active', async () => {
    const token = await p.client(ECRClient).send(new GetAuthorizationTokenCommand({}));
    const v2 = p.client(ApiGatewayV2Client);
    const api = await v2.send(new CreateApiCommand({ Name: 'beside-the-registry', ProtocolType: 'HTTP' }));
    assert.equal((await v2.send(new GetApiCommand({ ApiId: api.ApiId! }))).Name, 'beside-the-registry');
    // The registry still answers its own clients under /v2/.
    const anonymous = await fetch(`${p.endpoint}/v2/`);
    assert.equal(anonymous.status, 401);
    const basic = await fetch(`${p.endpoint}/v2/`, { headers: { authorization: `Basic ${token.authorizationData![0]!.authorizationToken}` } });
    assert.equal(basic.status, 200);
  });
});
