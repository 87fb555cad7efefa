import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { CallerIdentity } from '@atoll/core';
import { buildAuditEvent, encodeAuditEvent, type AuditInput } from './audit-event.js';

const root: CallerIdentity = { type: 'Root', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', principalId: '000000000000', accessKeyId: 'AKIAROOT' };
const user: CallerIdentity = { type: 'IAMUser', accountId: '111111111111', arn: 'arn:aws:iam::111111111111:user/a"b', principalId: 'AIDAX', userName: 'a"b' };

function call(overrides: Partial<AuditInput>): AuditInput {
  return {
    requestId: 'req-1',
    time: new Date('2026-12-03T10:11:12.345Z'),
    endpointPrefix: 'dynamodb',
    operation: 'PutItem',
    region: 'us-east-1',
    accountId: '000000000000',
    sourceIp: '127.0.0.1',
    userAgent: 'aws-sdk-js/3 "quoted" \\ back',
    identity: root,
    ...overrides,
  };
}

const CASES: Array<[string, AuditInput]> = [
  ['a write with its output', call({ input: { TableName: 't', Item: { pk: { S: 'k' }, n: { N: '1.5' } } }, output: { Attributes: { pk: { S: 'k' } } } })],
  ['a read (no response elements)', call({ operation: 'GetItem', input: { TableName: 't', Key: { pk: { S: 'k' } } }, output: { Item: { pk: { S: 'k' } } } })],
  ['an error', call({ identity: user, accountId: '111111111111', input: { QueueUrl: 'u' }, errorCode: 'AccessDenied', errorMessage: 'no "way"\n' })],
  ['an error without a message', call({ input: {}, errorCode: 'Throttling' })],
  ['no input, no output', call({})],
  [
    'values summarize leaves out or shortens',
    call({
      input: {
        Body: Buffer.from('bytes'),
        Stream: Readable.from(['x']),
        Long: 'y'.repeat(1500),
        When: new Date('2026-01-02T03:04:05.006Z'),
        Nothing: null,
        Missing: undefined,
        List: [1, null, 'two', Buffer.from('z'), Number.NaN, Infinity, -0, true, false, () => 1],
        Big: Array.from({ length: 60 }, (_, i) => i),
        Deep: { A: { B: { C: { D: { E: { F: { G: 1 } } } } } } },
        Unicode: 'é\u2028\u0001😀',
        Fn: () => 2,
      },
      output: { Ok: true, Count: 3 },
    }),
  ],
];

/** The event ids are random: both sides' are set to the same before comparing. */
const withId = (text: string): string => text.replace(/"eventID":"[0-9a-f-]{36}"/, '"eventID":"ID"');

for (const [name, input] of CASES) {
  test(`the encoded event is the built event's JSON: ${name}`, () => {
    const encoded = encodeAuditEvent(input);
    const built = buildAuditEvent(input);
    assert.equal(withId(encoded.text), withId(JSON.stringify(built)));
    assert.equal(encoded.eventTime, built.eventTime);
    // Encoded twice (the caller's part cached), the text is the same but for its id.
    const again = encodeAuditEvent(input);
    assert.equal(withId(again.text), withId(encoded.text));
    assert.notEqual(again.text, encoded.text);
  });
}

test('the event time follows the call time across seconds', () => {
  const first = encodeAuditEvent(call({ time: new Date('2026-12-03T10:11:12.999Z') }));
  const next = encodeAuditEvent(call({ time: new Date('2026-12-03T10:11:13.000Z') }));
  assert.equal(first.eventTime, '2026-12-03T10:11:12Z');
  assert.equal(next.eventTime, '2026-12-03T10:11:13Z');
  assert.equal(JSON.parse(next.text).eventTime, '2026-12-03T10:11:13Z');
});
