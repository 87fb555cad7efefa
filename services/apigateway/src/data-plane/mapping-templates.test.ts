import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRequest } from './proxy-events.js';
import { escapeJavaScript, jsonPath, mapRequest, renderTemplate, selectIntegrationResponse } from './mapping-templates.js';

const req = {
  method: 'POST', rawPath: '/prod/items/7', path: '/items/7', rawQuery: 'q=1', headers: { 'content-type': 'application/json', 'x-h': 'hv' }, body: Buffer.alloc(0),
  sourceIp: '10.0.0.1', requestId: 'req-1', time: new Date(0), apiId: 'api', accountId: '000000000000', region: 'us-east-1', stage: 'prod', domainName: 'api.execute-api.localhost',
} satisfies ApiRequest;
const scope = (body: string) => ({ req, body, pathParameters: { id: '7' }, stageVariables: { env: 'test' }, resourcePath: '/items/{id}', resourceId: 'r1' });

test('JSONPath reads names, indexes, quoted names and wildcards', () => {
  const doc = { a: { b: [{ id: 1 }, { id: 2 }] }, 'x y': true };
  assert.deepEqual(jsonPath(doc, '$'), doc);
  assert.equal(jsonPath(doc, '$.a.b[1].id'), 2);
  assert.equal(jsonPath(doc, "$['x y']"), true);
  assert.deepEqual(jsonPath(doc, '$.a.b[*].id'), [1, 2]);
  assert.equal(jsonPath(doc, '$.missing.deeper'), undefined);
  assert.equal(jsonPath(doc, 'a.b'), undefined);
});

test('templates see $input, $context, $stageVariables and $util', () => {
  const out = renderTemplate(
    `{"id": "$input.params('id')", "q": "$input.params('q')", "h": "$input.params('x-h')", "all": $input.json('$'), "first": $input.json('$.list[0]'), "stage": "$context.stage", "path": "$context.resourcePath", "env": "$stageVariables.env", "b64": "$util.base64Encode('hi')"}`,
    scope('{"list":[{"k":"v"}]}'),
  );
  assert.deepEqual(JSON.parse(out), { id: '7', q: '1', h: 'hv', all: { list: [{ k: 'v' }] }, first: { k: 'v' }, stage: 'prod', path: '/items/{id}', env: 'test', b64: 'aGk=' });
  assert.equal(renderTemplate('#foreach($i in $input.path(\'$.n\'))$i,#end', scope('{"n":[1,2,3]}')), '1,2,3,');
});

test('escapeJavaScript escapes quotes, backslashes and control characters', () => {
  assert.equal(escapeJavaScript('a"b\\c\nd\'e'), 'a\\"b\\\\c\\nd\\\'e');
});

test('the request template follows the content type and the passthrough behaviour', () => {
  const integration = { type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } };
  assert.deepEqual(mapRequest(integration, scope('{}')), { ok: true, body: '{"statusCode": 200}' });
  const xml = { ...scope('<a/>'), req: { ...req, headers: { 'content-type': 'application/xml' } } };
  assert.deepEqual(mapRequest(integration, xml), { ok: true, body: '<a/>' });
  assert.deepEqual(mapRequest({ ...integration, passthroughBehavior: 'WHEN_NO_TEMPLATES' }, xml), { ok: false });
  assert.deepEqual(mapRequest({ ...integration, passthroughBehavior: 'NEVER' }, xml), { ok: false });
});

test('an integration response is chosen by its selection pattern, else the default one', () => {
  const integration = {
    type: 'HTTP',
    integrationResponses: { '200': { statusCode: '200' }, '404': { statusCode: '404', selectionPattern: '4\\d{2}' }, '500': { statusCode: '500', selectionPattern: '.*boom.*' } },
  };
  assert.equal(selectIntegrationResponse(integration, '404')?.statusCode, '404');
  assert.equal(selectIntegrationResponse(integration, 'it went boom')?.statusCode, '500');
  assert.equal(selectIntegrationResponse(integration, '201')?.statusCode, '200');
  assert.equal(selectIntegrationResponse({ type: 'HTTP' }, '200'), undefined);
});
