// CloudWatch Logs StartLiveTail through @aws-sdk/client-cloudwatch-logs: the event stream's
// sessionStart, sessionUpdate with the events put afterwards (stream and filter pattern applied),
// and the errors for bad sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceNotFoundException,
  StartLiveTailCommand,
  type LiveTailSessionLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

describe('CloudWatch Logs live tail', () => {
  let p: TestPlatform;
  let logs: CloudWatchLogsClient;
  let arn: string;
  before(async () => {
    p = await startPlatform({ services: ['logs', 'iam', 'sts'] });
    // StartLiveTail's endpoint has the host prefix `stream-`, which a local endpoint cannot take.
    logs = p.client(CloudWatchLogsClient, { disableHostPrefix: true });
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'tailed' }));
    for (const s of ['web-1', 'worker-1']) await logs.send(new CreateLogStreamCommand({ logGroupName: 'tailed', logStreamName: s }));
    arn = `arn:aws:logs:${p.region}:${p.accountId}:log-group:tailed`;
  });
  after(() => p.stop());

  test('streams the session start, then the matching events put while it runs', async () => {
    const abort = new AbortController();
    const out = await logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn], logStreamNamePrefixes: ['web-'], logEventFilterPattern: 'ERROR' }), { abortSignal: abort.signal });
    const received: LiveTailSessionLogEvent[] = [];
    let start: Record<string, unknown> | undefined;
    const reading = (async () => {
      for await (const e of out.responseStream!) {
        if (e.sessionStart) start = e.sessionStart as Record<string, unknown>;
        if (e.sessionUpdate) {
          assert.equal(e.sessionUpdate.sessionMetadata?.sampled, false);
          received.push(...(e.sessionUpdate.sessionResults ?? []));
          if (received.length >= 2) break;
        }
      }
    })();
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'tailed',
        logStreamName: 'web-1',
        logEvents: [
          { timestamp: now, message: 'INFO all good' },
          { timestamp: now + 1, message: 'ERROR first' },
          { timestamp: now + 2, message: 'ERROR second' },
        ],
      }),
    );
    await logs.send(new PutLogEventsCommand({ logGroupName: 'tailed', logStreamName: 'worker-1', logEvents: [{ timestamp: now, message: 'ERROR elsewhere' }] }));
    const timer = setTimeout(() => abort.abort(), 20_000);
    await reading;
    clearTimeout(timer);
    abort.abort();
    assert.deepEqual(start?.logGroupIdentifiers, [arn]);
    assert.deepEqual(start?.logStreamNamePrefixes, ['web-']);
    assert.equal(typeof start?.sessionId, 'string');
    assert.deepEqual(
      received.map((r) => [r.logGroupIdentifier, r.logStreamName, r.message, r.timestamp]),
      [
        [arn, 'web-1', 'ERROR first', now + 1],
        [arn, 'web-1', 'ERROR second', now + 2],
      ],
    );
    assert.ok(received.every((r) => typeof r.ingestionTime === 'number'));
  });

  test('refuses unknown log groups, stream names with prefixes, and bad filter patterns', async () => {
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [`${arn}-missing`] })), ResourceNotFoundException);
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn], logStreamNames: ['web-1'], logStreamNamePrefixes: ['w'] })), InvalidParameterException);
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn], logEventFilterPattern: '{ $.level = ' })), InvalidParameterException);
  });
});
