// Regression (issue #21): an XML body carrying a DOCTYPE with entity declarations answered 500 on
// S3's XML-bodied operations; S3 answers 400 MalformedXML, and the entities are never resolved.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { sendSigned } from './raw-http.js';

const EXTERNAL = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
const INTERNAL = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
const PARAMETER = '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>';

/** The seven operations of the issue, each with a body that is valid but for its DOCTYPE. */
const CASES: { name: string; method: string; path: string; query: [string, string][]; body: (doctype: string, value: string) => string }[] = [
  {
    name: 'PutBucketTagging',
    method: 'PUT',
    path: '/fuzz-bucket',
    query: [['tagging', '']],
    body: (d, v) => `<?xml version="1.0" encoding="UTF-8"?>${d}<Tagging><TagSet><Tag><Key>k</Key><Value>${v}</Value></Tag></TagSet></Tagging>`,
  },
  {
    name: 'PutBucketAcl',
    method: 'PUT',
    path: '/fuzz-bucket',
    query: [['acl', '']],
    body: (d, v) =>
      `${d}<AccessControlPolicy><Owner><ID>${v}</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${v}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
  },
  {
    name: 'PutBucketCors',
    method: 'PUT',
    path: '/fuzz-bucket',
    query: [['cors', '']],
    body: (d, v) => `${d}<CORSConfiguration><CORSRule><AllowedOrigin>${v}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
  },
  {
    name: 'PutBucketNotificationConfiguration',
    method: 'PUT',
    path: '/fuzz-bucket',
    query: [['notification', '']],
    body: (d, v) =>
      `${d}<NotificationConfiguration><QueueConfiguration><Queue>${v}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>`,
  },
  {
    name: 'PutBucketLifecycleConfiguration',
    method: 'PUT',
    path: '/fuzz-bucket',
    query: [['lifecycle', '']],
    body: (d, v) =>
      `${d}<LifecycleConfiguration><Rule><ID>${v}</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`,
  },
  {
    name: 'DeleteObjects',
    method: 'POST',
    path: '/fuzz-bucket',
    query: [['delete', '']],
    body: (d, v) => `${d}<Delete><Object><Key>${v}</Key></Object></Delete>`,
  },
  {
    name: 'CompleteMultipartUpload',
    method: 'POST',
    path: '/fuzz-bucket/key',
    query: [['uploadId', 'some-upload']],
    body: (d, v) => `${d}<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${v}</ETag></Part></CompleteMultipartUpload>`,
  },
];

describe('S3 XML bodies with a document type declaration', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({ services: ['s3'] });
    const created = await sendSigned(p.endpoint, p.credentials, 's3', { method: 'PUT', path: '/fuzz-bucket' });
    assert.equal(created.status, 200, created.body.toString());
  });
  after(() => p.stop());

  for (const c of CASES) {
    test(`${c.name} answers 400 MalformedXML for external, internal and parameter entities`, async () => {
      for (const [doctype, value] of [
        [EXTERNAL, '&xxe;'],
        [INTERNAL, '&b;'],
        [PARAMETER, 'v'],
        ['<!DOCTYPE r>', 'v'],
        [`<!-- before -->\n${EXTERNAL}`, '&xxe;'],
      ] as const) {
        const res = await sendSigned(p.endpoint, p.credentials, 's3', {
          method: c.method,
          path: c.path,
          query: c.query,
          headers: { 'content-type': 'application/xml' },
          body: c.body(doctype, value),
        });
        const text = res.body.toString('utf8');
        assert.equal(res.status, 400, `${c.name} with ${doctype}: ${text}`);
        assert.match(text, /<Code>MalformedXML<\/Code>/);
        assert.match(text, /<Message>The XML you provided was not well-formed or did not validate against our published schema<\/Message>/);
        assert.doesNotMatch(text, /root:|aaaaaaaaaa/);
      }
    });
  }

  test('the predefined entities and character references still decode without a DOCTYPE', async () => {
    const put = await sendSigned(p.endpoint, p.credentials, 's3', {
      method: 'PUT',
      path: '/fuzz-bucket',
      query: [['tagging', '']],
      headers: { 'content-type': 'application/xml' },
      body: '<Tagging><TagSet><Tag><Key>k</Key><Value>a&amp;b&#x3c;&#60;</Value></Tag></TagSet></Tagging>',
    });
    assert.ok(put.status === 200 || put.status === 204, put.body.toString());
    const get = await sendSigned(p.endpoint, p.credentials, 's3', { method: 'GET', path: '/fuzz-bucket', query: [['tagging', '']] });
    assert.equal(get.status, 200);
    assert.match(get.body.toString(), /<Value>a&amp;b&lt;&lt;<\/Value>/);
  });
});
