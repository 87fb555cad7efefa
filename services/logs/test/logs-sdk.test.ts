// CloudWatch Logs through @aws-sdk/client-cloudwatch-logs: groups, streams, PutLogEvents rules,
// GetLogEvents tokens, FilterLogEvents patterns, retention and tags.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  GetQueryResultsCommand,
  InvalidParameterException,
  MalformedQueryException,
  StartQueryCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

describe('CloudWatch Logs', () => {
  let p: TestPlatform;
  let logs: CloudWatchLogsClient;
  before(async () => {
    p = await startPlatform({ services: ['logs', 'iam', 'sts'] });
    logs = p.client(CloudWatchLogsClient);
  });
  after(() => p.stop());

  test('creates, describes and deletes log groups with AWS errors', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/a', tags: { team: 'x' } }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/b' }));
    await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/app/a' })), (e) => e instanceof ResourceAlreadyExistsException && e.message === 'The specified log group already exists');
    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/' }));
    assert.deepEqual(out.logGroups!.map((g) => g.logGroupName), ['/app/a', '/app/b']);
    assert.equal(out.logGroups![0]!.arn, `arn:aws:logs:${p.region}:${p.accountId}:log-group:/app/a:*`);
    const paged = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/', limit: 1 }));
    assert.equal(paged.logGroups!.length, 1);
    const rest = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/', limit: 1, nextToken: paged.nextToken }));
    assert.deepEqual(rest.logGroups!.map((g) => g.logGroupName), ['/app/b']);
    const tags = await logs.send(new ListTagsForResourceCommand({ resourceArn: out.logGroups![0]!.logGroupArn }));
    assert.deepEqual(tags.tags, { team: 'x' });
    await logs.send(new TagResourceCommand({ resourceArn: out.logGroups![0]!.logGroupArn, tags: { env: 'dev' } }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: out.logGroups![0]!.logGroupArn }))).tags, { team: 'x', env: 'dev' });
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/app/b' }));
    await assert.rejects(logs.send(new DeleteLogGroupCommand({ logGroupName: '/app/b' })), (e) => e instanceof ResourceNotFoundException && e.message === 'The specified log group does not exist.');
  });

  test('PutLogEvents appends in order, rejects out-of-order batches and reports too old and too new events', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'put' }));
    await assert.rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 'missing', logEvents: [{ timestamp: Date.now(), message: 'x' }] })),
      (e) => e instanceof ResourceNotFoundException && e.message === 'The specified log stream does not exist.',
    );
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'put', logStreamName: 's1' }));
    const now = Date.now();
    await assert.rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's1', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] })),
      (e) => e instanceof InvalidParameterException && /chronological order/.test(e.message),
    );
    const DAY = 86_400_000;
    await assert.rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's1', logEvents: [{ timestamp: now - 2 * DAY, message: 'a' }, { timestamp: now, message: 'b' }] })),
      (e) => e instanceof InvalidParameterException && e.message === 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    );
    const old = await logs.send(
      new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's1', logEvents: [{ timestamp: now - 14 * DAY - 60_000, message: 'ancient' }, { timestamp: now - 14 * DAY + 600_000, message: 'one' }] }),
    );
    assert.deepEqual(old.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1 });
    const out = await logs.send(
      new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's1', logEvents: [{ timestamp: now, message: 'two' }, { timestamp: now + 3 * 3_600_000, message: 'future' }] }),
    );
    assert.deepEqual(out.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'put', logStreamName: 's1', startFromHead: true }));
    assert.deepEqual(got.events!.map((e) => e.message), ['one', 'two']);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'put' }));
    assert.equal(streams.logStreams![0]!.lastEventTimestamp, now);
  });

  test('GetLogEvents pages forward and backward with tokens, and returns the same token at the end', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'pages' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'pages', logStreamName: 's' }));
    const t0 = Date.now() - 10_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', logEvents: Array.from({ length: 10 }, (_, i) => ({ timestamp: t0 + i, message: `m${i}` })) }));
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', limit: 3 }));
    assert.deepEqual(tail.events!.map((e) => e.message), ['m7', 'm8', 'm9']);
    const earlier = await logs.send(new GetLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', limit: 3, nextToken: tail.nextBackwardToken }));
    assert.deepEqual(earlier.events!.map((e) => e.message), ['m4', 'm5', 'm6']);
    const end = await logs.send(new GetLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', nextToken: tail.nextForwardToken }));
    assert.deepEqual(end.events, []);
    assert.equal(end.nextForwardToken, tail.nextForwardToken);
    const head = await logs.send(new GetLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', limit: 4, startFromHead: true }));
    const next = await logs.send(new GetLogEventsCommand({ logGroupName: 'pages', logStreamName: 's', limit: 4, nextToken: head.nextForwardToken }));
    assert.deepEqual(next.events!.map((e) => e.message), ['m4', 'm5', 'm6', 'm7']);
  });

  test('FilterLogEvents applies term, JSON and space-delimited patterns across streams, and refuses a malformed one', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'filter' }));
    const t = Date.now() - 5000;
    for (const [stream, lines] of [
      ['a', ['{"level":"error","ms":150}', '{"level":"error","ms":50}', 'ERROR plain text']],
      ['b', ['{"level":"info","ms":500}', '10.0.0.1 GET /x 500 1200', '10.0.0.2 GET /y 200 10']],
    ] as const) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'filter', logStreamName: stream }));
      await logs.send(new PutLogEventsCommand({ logGroupName: 'filter', logStreamName: stream, logEvents: lines.map((message, i) => ({ timestamp: t + i, message })) }));
    }
    const json = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '{ $.level = "error" && $.ms > 100 }' }));
    assert.deepEqual(json.events!.map((e) => [e.logStreamName, e.message]), [['a', '{"level":"error","ms":150}']]);
    const terms = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: 'ERROR' }));
    assert.deepEqual(terms.events!.map((e) => e.message), ['ERROR plain text']);
    const spaced = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '[ip, method, path, status = 5*, bytes > 1000]' }));
    assert.deepEqual(spaced.events!.map((e) => e.message), ['10.0.0.1 GET /x 500 1200']);
    const one = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', logStreamNames: ['b'], limit: 2 }));
    assert.equal(one.events!.length, 2);
    assert.ok(one.nextToken);
    const more = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', logStreamNames: ['b'], limit: 2, nextToken: one.nextToken }));
    assert.deepEqual(more.events!.map((e) => e.message), ['10.0.0.2 GET /y 200 10']);
    await assert.rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '{ $.level = }' })),
      (e) => e instanceof InvalidParameterException && /position 12/.test(e.message),
    );
  });

  test('PutRetentionPolicy accepts only the documented periods', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'retained' }));
    await assert.rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: 2 })), InvalidParameterException);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: 7 }));
    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'retained' }));
    assert.equal(out.logGroups![0]!.retentionInDays, 7);
  });

  test('Logs Insights runs stats by bin() over a group, and refuses a malformed query with its position', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'insights' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'insights', logStreamName: 's' }));
    const base = Math.floor(Date.now() / 300_000) * 300_000 - 600_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'insights',
        logStreamName: 's',
        logEvents: [0, 1000, 300_000, 301_000, 302_000].map((t, i) => ({ timestamp: base + t, message: JSON.stringify({ level: i % 2 ? 'info' : 'error', ms: i * 10 }) })),
      }),
    );
    const { queryId } = await logs.send(
      new StartQueryCommand({ logGroupName: 'insights', startTime: Math.floor(base / 1000) - 60, endTime: Math.floor(Date.now() / 1000), queryString: 'filter level = "error" | stats count(*) as n, sum(ms) as total by bin(5m)' }),
    );
    let out;
    do out = await logs.send(new GetQueryResultsCommand({ queryId }));
    while (out.status === 'Running' || out.status === 'Scheduled');
    assert.equal(out.status, 'Complete');
    const rows = out.results!.map((r) => Object.fromEntries(r.map((f) => [f.field, f.value])));
    assert.deepEqual(rows, [
      { 'bin(5m)': new Date(base).toISOString().replace('T', ' ').replace('Z', ''), n: '1', total: '0' },
      { 'bin(5m)': new Date(base + 300_000).toISOString().replace('T', ' ').replace('Z', ''), n: '2', total: '60' },
    ]);
    assert.equal(out.statistics!.recordsScanned, 5);
    await assert.rejects(
      logs.send(new StartQueryCommand({ logGroupName: 'insights', startTime: 0, endTime: 10, queryString: 'fields @message | bogus 1' })),
      (e) => e instanceof MalformedQueryException && e.queryCompileError?.location?.startCharOffset === 18,
    );
  });
});
